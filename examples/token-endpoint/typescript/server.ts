// Runs the route handlers on plain Node 20, as Next.js would: each request
// becomes a web Request, each Response is written back.
//   DCR_ADMIN_URL=http://127.0.0.1:9090 DCR_ADMIN_TOKEN=... node dist/server.js 3000
import { createServer } from "node:http";
import * as authorize from "./app/authorize/route.js";
import * as token from "./app/token/route.js";

type Handler = (request: Request) => Promise<Response>;
const routes: Record<string, Partial<Record<string, Handler>>> = {
  "/authorize": { GET: authorize.GET, POST: authorize.POST },
  "/token": { POST: token.POST },
};

createServer(async (incoming, outgoing) => {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const url = new URL(incoming.url ?? "/", `http://${incoming.headers.host ?? "localhost"}`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (typeof value === "string") headers.set(name, value);
  }
  // The caller's address as this server saw it, never as the caller claims.
  headers.set("x-real-ip", (incoming.socket.remoteAddress ?? "").replace(/^::ffff:/, ""));
  const handler = routes[url.pathname]?.[incoming.method ?? ""];
  let response: Response;
  try {
    response = handler
      ? await handler(new Request(url, { method: incoming.method, headers, body: chunks.length ? Buffer.concat(chunks) : null }))
      : new Response("not found", { status: 404 });
  } catch (error) {
    console.error(error);
    response = new Response("server error", { status: 500 });
  }
  outgoing.writeHead(response.status, Object.fromEntries(response.headers));
  outgoing.end(Buffer.from(await response.arrayBuffer()));
}).listen(Number(process.argv[2]), "127.0.0.1");
