// npm run ui:demo: stet with the demo services and data, left running for a person (or `npm run ui:dev`) to
// look at; Ctrl+C stops it and deletes its data.
//
//   npm run ui:demo -- [--admin-port 9070] [--ingress-port 8080]
import { parseArgs } from "node:util";
import { makeDemoData } from "./demo-data.js";
import { startDemoStet } from "./demo-stet.js";

const { values } = parseArgs({ options: { "admin-port": { type: "string", default: "9070" }, "ingress-port": { type: "string", default: "8080" } } });
const stet = await startDemoStet({ adminPort: Number(values["admin-port"]), ingressPort: Number(values["ingress-port"]) });
await makeDemoData(stet);
console.log(`stet with demo data: ${stet.adminUrl}/ui/ (ingress ${stet.ingressUrl}); Ctrl+C stops it`);
const stop = () => void stet.close().then(() => process.exit(0));
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
