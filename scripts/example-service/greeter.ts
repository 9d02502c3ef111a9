// An example service written with the official Restate SDK, run unchanged against stet
// (docker-compose.yml runs it next to stet). The polyfill must load before the SDK.
import "../../sdk/polyfills.js";
import * as restate from "@restatedev/restate-sdk";

export const greeter = restate.service({
  name: "Greeter",
  handlers: {
    greet: async (ctx: restate.Context, name: string): Promise<string> => {
      // Journaled: on a retry or replay the stored result is used instead of running it again.
      const greeting = await ctx.run("compose greeting", () => `Hello, ${name}!`);
      return greeting;
    },
  },
});

// Serves HTTP/2 (h2c) on PORT, default 9080, the port Restate's examples use.
await restate.serve({ services: [greeter], port: Number(process.env["PORT"] ?? 9080) });
