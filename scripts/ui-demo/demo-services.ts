// Services for the web UI's demo and screenshots (npm run ui:screenshots, npm run ui:demo), written with the
// official Restate SDK: a shop whose orders call an inventory object and a mailer, a cart, a signup
// workflow waiting for a durable promise, a payment that keeps failing, and a handler that sleeps.
import "../../sdk/polyfills.js";
import "./quiet-sdk.js";
import * as restate from "@restatedev/restate-sdk";

export interface Order {
  readonly item: string;
  readonly quantity: number;
}

const ORDER_SCHEMA = {
  type: "object",
  title: "Order",
  properties: { item: { type: "string", description: "what to buy" }, quantity: { type: "integer", minimum: 1 } },
  required: ["item", "quantity"],
};

const inventory = restate.object({
  name: "Inventory",
  description: "Stock of one item (the key).",
  handlers: {
    take: async (ctx: restate.ObjectContext, quantity: number): Promise<number> => {
      const stock = (await ctx.get<number>("stock")) ?? 1000;
      if (stock < quantity) throw new restate.TerminalError(`only ${stock} ${ctx.key} left`, { errorCode: 409 });
      ctx.set("stock", stock - quantity);
      ctx.set("last_taken", { quantity, at: await ctx.date.now() });
      return stock - quantity;
    },
    restock: async (ctx: restate.ObjectContext, quantity: number): Promise<number> => {
      const stock = ((await ctx.get<number>("stock")) ?? 1000) + quantity;
      ctx.set("stock", stock);
      return stock;
    },
    level: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext): Promise<number> => (await ctx.get<number>("stock")) ?? 1000),
  },
});

const mailer = restate.service({
  name: "Mailer",
  handlers: {
    confirm: async (ctx: restate.Context, order: Order): Promise<void> => {
      await ctx.run("send mail", () => `sent: ${order.quantity} × ${order.item}`);
    },
  },
});

const shop = restate.service({
  name: "Shop",
  description: "Takes orders.",
  handlers: {
    order: restate.handlers.handler(
      { input: new restate.serde.JsonSerde<Order>(ORDER_SCHEMA), description: "Reserves stock, charges, and mails a confirmation." },
      async (ctx: restate.Context, order: Order): Promise<string> => {
        await ctx.run("check fraud", () => "ok");
        const left = await ctx.objectClient(inventory, order.item).take(order.quantity);
        await ctx.run("charge card", () => ({ charged: order.quantity * 3, currency: "EUR" }));
        await ctx.sleep(50);
        ctx.serviceSendClient(mailer).confirm(order);
        return `ordered ${order.quantity} × ${order.item}, ${left} left`;
      },
    ),
    // Waits an hour: shows as suspended until someone cancels it.
    nap: async (ctx: restate.Context): Promise<string> => {
      await ctx.sleep(3_600_000);
      return "rested";
    },
  },
});

const payments = restate.service({
  name: "Payments",
  handlers: {
    // Fails every attempt: stet retries it with backoff (backing-off in the list).
    settle: async (ctx: restate.Context, amount: number): Promise<void> => {
      await ctx.run("call bank", () => {
        throw new Error(`bank unreachable while settling ${amount}`);
      });
    },
  },
});

const cart = restate.object({
  name: "Cart",
  handlers: {
    add: async (ctx: restate.ObjectContext, item: string): Promise<number> => {
      const items = (await ctx.get<string[]>("items")) ?? [];
      ctx.set("items", [...items, item]);
      ctx.set("updated", await ctx.date.now());
      return items.length + 1;
    },
    items: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext): Promise<string[]> => (await ctx.get<string[]>("items")) ?? []),
  },
});

const signup = restate.workflow({
  name: "Signup",
  handlers: {
    run: async (ctx: restate.WorkflowContext, email: string): Promise<string> => {
      ctx.set("status", "waiting for confirmation");
      await ctx.run("send welcome mail", () => `mail to ${email}`);
      const code = await ctx.promise<string>("confirmed");
      ctx.set("status", "confirmed");
      return `${email} confirmed with ${code}`;
    },
    confirm: async (ctx: restate.WorkflowSharedContext, code: string): Promise<void> => {
      await ctx.promise<string>("confirmed").resolve(code);
    },
  },
});

const noop = restate.service({
  name: "Noop",
  handlers: {
    // The cheapest invocation there is: fills the store for the 100k measurement (ui-load.ts).
    ping: async (): Promise<void> => {},
  },
});

export const DEMO_SERVICES = [shop, inventory, mailer, payments, cart, signup, noop];
