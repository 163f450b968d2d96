DROP TABLE deployment_state;
