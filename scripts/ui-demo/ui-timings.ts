import type { BrowserContext, Page, Request } from "playwright-core";

/** One measured step: how long until the page showed what was asked, and the slowest `/query` in it. */
export type Timing = readonly [string, number];

/**
 * Times the web UI's first screens in chromium, each from navigation (or the click) until its content is
 * on screen, and, for each step, the slowest of the UI's own `POST /query` requests (read from the
 * browser's network timing, so the statements measured are exactly the UI's).
 */
export async function measureUi(context: BrowserContext, adminUrl: string, orderId: string): Promise<Timing[]> {
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  const queries: Array<{ sql: string; ms: number }> = [];
  page.on("requestfinished", (request: Request) => {
    if (!request.url().endsWith("/query")) return;
    const t = request.timing();
    const sql = (JSON.parse(request.postData() ?? "{}") as { query?: string }).query ?? "";
    queries.push({ sql, ms: t.responseEnd });
  });
  const timings: Timing[] = [];
  const ui = (path: string) => `${adminUrl}/ui/${path}`;
  const step = async (label: string, act: () => Promise<unknown>, shown: () => Promise<unknown>) => {
    queries.length = 0;
    const started = performance.now();
    await act();
    await shown();
    timings.push([label, performance.now() - started]);
    const slowest = [...queries].sort((a, b) => b.ms - a.ms)[0];
    if (slowest !== undefined) timings.push([`  slowest query: ${slowest.sql.replace(/\s+/g, " ").slice(0, 90)}…`, slowest.ms]);
  };
  const firstRow = (p: Page) => p.locator("#invocations tbody tr").first().getAttribute("data-id");

  // The first query starts stet's query process: the first screen after a start pays for it once.
  for (const when of ["first after start", "again"]) {
    await step(
      `overview (${when}): services with counts, chart, partitions`,
      () => page.goto(ui("")),
      () => Promise.all([page.locator("#services .count").first().waitFor(), page.locator(".chart-summary").waitFor(), page.locator("#partitions li").first().waitFor()]),
    );
  }
  await step("invocations: first page", () => page.goto(ui("invocations")), () => page.locator("#invocations tbody tr").nth(49).waitFor());
  for (let i = 1; i <= 3; i++) {
    const before = await firstRow(page);
    await step(`invocations: next page (${i + 1})`, () => page.getByRole("button", { name: "Next" }).click(), () => page.locator(`#invocations tbody tr:first-child:not([data-id="${before}"])`).waitFor());
  }
  await step("invocations: oldest first", () => page.goto(ui("invocations?sort=created_asc")), () => page.locator("#invocations tbody tr").nth(49).waitFor());
  await step("invocations: service Shop", () => page.goto(ui("invocations?service=Shop")), () => page.locator("#invocations tbody tr").first().waitFor());
  await step("invocations: status backing-off", () => page.goto(ui("invocations?status=backing-off")), () => page.locator("#invocations tbody tr").first().waitFor());
  await step("invocations: one id", () => page.goto(ui(`invocations?id=${orderId}`)), () => page.locator("#invocations tbody tr").first().waitFor());
  await step("invocation page with its journal", () => page.goto(ui(`invocations/${orderId}`)), () => Promise.all([page.locator("#journal li").nth(5).waitFor(), page.locator("#children tbody tr").first().waitFor()]));
  await step("state of Cart/ada", () => page.goto(ui("state/Cart?key=ada")), () => page.locator("#state-entries").waitFor());
  await step("services and deployments", () => page.goto(ui("services")), () => page.locator("#deployment-list tbody tr").first().waitFor());
  await page.close();
  return timings;
}
