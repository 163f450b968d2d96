// Holds lib/redirect-match.ts to the case table dcr-core is tested against.
import { readFileSync } from "node:fs";
import { redirectUriMatches } from "./lib/redirect-match.js";

interface Case {
  registered: string;
  presented: string;
  matches: boolean;
  why: string;
}

const table = new URL("../../redirect-uri-cases.json", import.meta.url);
const cases = JSON.parse(readFileSync(table, "utf8")) as Case[];
const wrong = cases.filter((c) => redirectUriMatches([c.registered], c.presented) !== c.matches);
for (const c of wrong) console.error("typescript disagrees with dcr:", JSON.stringify(c));
console.log(`typescript redirect match: ${cases.length - wrong.length}/${cases.length} cases agree with dcr-core`);
process.exit(wrong.length ? 1 : 0);
