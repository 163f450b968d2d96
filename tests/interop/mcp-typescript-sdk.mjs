// Registers every fixture body through the MCP TypeScript SDK's own discovery and
// registration code (what Claude Code, Cursor and MCP Inspector build on),
// against a running dcr: node mcp-typescript-sdk.mjs BASE_URL FIXTURES_JSON
import { discoverAuthorizationServerMetadata, registerClient } from '@modelcontextprotocol/sdk/client/auth.js';
import fs from 'node:fs';

const base = process.argv[2];
const fixtures = JSON.parse(fs.readFileSync(process.argv[3], 'utf8')).bodies;
const metadata = await discoverAuthorizationServerMetadata(base);
if (!metadata?.registration_endpoint) throw new Error('no registration endpoint');
console.log('discovered', metadata.registration_endpoint, metadata.code_challenge_methods_supported);
for (const [name, body] of Object.entries(fixtures)) {
  const info = await registerClient(base, { metadata, clientMetadata: body });
  const ok = info.token_endpoint_auth_method === body.token_endpoint_auth_method
    && (!!info.client_secret) === (body.token_endpoint_auth_method !== 'none');
  console.log(name, ok ? 'ok' : 'MISMATCH', info.client_id, info.client_secret ? 'secret' : 'no-secret');
  if (!ok) process.exitCode = 1;
}
// An invalid registration must surface as the SDK's typed OAuth error.
try {
  await registerClient(base, { metadata, clientMetadata: { redirect_uris: ['http://evil.example/cb'], client_name: 'x' } });
  console.log('bad registration ACCEPTED'); process.exitCode = 1;
} catch (err) {
  console.log('refused as', err.constructor.name, err.errorCode ?? err.error, '-', err.message);
}
