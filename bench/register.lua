-- wrk script: POST one registration body (BODY_FILE) to /register.
local body_file = os.getenv("BODY_FILE") or "bench/public-client.json"
local file = assert(io.open(body_file, "r"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"

