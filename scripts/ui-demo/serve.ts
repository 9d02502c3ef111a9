// npm run ui:demo: stet with the demo services and data, left running for a person (or `npm run ui:dev`) to
// look at; Ctrl+C stops it and deletes its data.
import { makeDemoData } from "./demo-data.js";
import { startDemoStet } from "./demo-stet.js";

const stet = await startDemoStet();
await makeDemoData(stet);
console.log(`stet with demo data: ${stet.adminUrl}/ui/ (ingress ${stet.ingressUrl}); Ctrl+C stops it`);
const stop = () => void stet.close().then(() => process.exit(0));
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
