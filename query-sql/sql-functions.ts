import { invalidQuery } from "../partition/query/query-errors.js";
import { callDisplay, derived, isText, lastName, list, sortKeyOf, translateExpr, type Expr, type ExprContext, type Node } from "./sql-expressions.js";
import type { ColumnType } from "../partition/query/system-tables.js";

/**
 * Function calls of a `/query` statement: aggregates (with ORDER BY and FILTER, as DataFusion has them),
 * window functions, and the scalar functions clients use, with the names and types DataFusion gives them.
 */
export function functionCall(body: Node, ctx: ExprContext): Expr {
  const name = lastName(body["funcname"]);
  const args = list(body["args"] ?? []).map((a) => translateExpr(a, ctx));
  const order = list(body["agg_order"] ?? []).map((s) => sortKeyOf(s, ctx));
  const filter = body["agg_filter"] === undefined ? undefined : translateExpr(body["agg_filter"], ctx);
  const distinct = body["agg_distinct"] === true ? "DISTINCT " : "";
  const over = body["over"] === undefined ? "" : ` OVER (${windowSpec(body["over"], ctx)})`;
  const star = body["agg_star"] === true;
  const anyNullable = args.some((a) => a.nullable);
  // `count(DISTINCT t.x) FILTER (WHERE …) ORDER BY [t.y ASC NULLS LAST]`, as DataFusion names an aggregate.
  const display =
    `${name}(${distinct}${star ? "*" : args.map((a) => a.display).join(",")})` +
    (filter === undefined ? "" : ` FILTER (WHERE ${filter.display})`) +
    (order.length === 0 ? "" : ` ORDER BY [${order.map((o) => o.display).join(", ")}]`);
  const call = (fn: string, type: ColumnType, nullable: boolean, aggregate = true): Expr =>
    derived(
      `${fn}(${distinct}${star ? "*" : args.map((a) => a.sql).join(", ")}${order.length === 0 ? "" : ` ORDER BY ${order.map((o) => o.sql).join(", ")}`})` +
        `${filter === undefined ? "" : ` FILTER (WHERE ${filter.sql})`}${over}`,
      type,
      display,
      nullable,
      { aggregate: aggregate && over === "" },
    );
  const firstType = args.find((a) => a.type !== "null")?.type ?? "null";
  switch (name) {
    case "count":
      return call("count", "i64", false);
    case "sum":
      return call("sum", firstType === "u32" || firstType === "u64" ? "u64" : firstType === "f64" ? "f64" : "i64", true);
    case "min":
    case "max":
      return call(name, firstType, true);
    case "avg":
      return call("avg", "f64", true);
    case "first_value":
    case "last_value":
      // As a window function both databases have them; as an aggregate (DataFusion's `FIRST_VALUE(x ORDER BY y)`) stet's own.
      return over !== "" ? call(name, firstType, true, false) : call(ctx.dialect.firstLastAggregate(name === "first_value"), firstType, true);
    case "row_number":
    case "rank":
    case "dense_rank":
      return call(name, "u64", false, false);
    case "lower":
    case "upper":
    case "trim":
    case "ltrim":
    case "rtrim":
    case "replace":
      // A string function keeps its argument's string type (Utf8 stays Utf8, LargeUtf8 LargeUtf8).
      return call(name, textType(firstType), anyNullable, false);
    case "substr":
    case "substring":
      return call("substr", textType(firstType), anyNullable, false);
    case "length":
    case "char_length":
    case "character_length":
      return call("length", "i64", anyNullable, false);
    case "abs":
    case "round":
      return call(name, firstType, anyNullable, false);
    case "concat":
      return derived(ctx.dialect.concat(args.map((a) => a.sql)), "utf8", callDisplay(name, args), false);
    case "starts_with":
    case "ends_with": {
      const [s, p] = args as [Expr, Expr];
      const sql = name === "starts_with" ? `(substr(${s.sql}, 1, length(${p.sql})) = ${p.sql})` : ctx.dialect.endsWith(s.sql, p.sql);
      return derived(sql, "bool", callDisplay(name, args), anyNullable);
    }
    case "now":
    case "current_timestamp":
      return derived(ctx.dialect.timestamp(new Date(ctx.now).toISOString()), "ts", "now()", false);
    case "date_bin": {
      const [stride, ts, origin] = args as [Expr, Expr, Expr | undefined];
      return derived(ctx.dialect.dateBin(stride.sql, ts.sql, origin?.sql), "ts", callDisplay(name, args), ts.nullable);
    }
    case "date_trunc": {
      const [unit, ts] = args as [Expr, Expr];
      return derived(ctx.dialect.dateTrunc(unit.sql, ts.sql), "ts", display, anyNullable);
    }
    case "to_unixtime":
      return derived(ctx.dialect.toUnixtime(args[0]!.sql), "i64", display, anyNullable);
    case "arrow_cast":
      return derived(args[0]!.sql, arrowCastType(args), display, args[0]!.nullable);
    default:
      throw invalidQuery(`the function ${name}() is not supported`);
  }
}

function textType(type: ColumnType): ColumnType {
  return isText(type) ? type : "utf8";
}

/** `arrow_cast(x, 'LargeUtf8')`: the string types stet tells apart; other targets keep x's type. */
function arrowCastType(args: readonly Expr[]): ColumnType {
  const target = args[1]?.literal;
  return target === "LargeUtf8" ? "utf8" : target === "Utf8" ? "small_utf8" : (args[0]?.type ?? "null");
}

function windowSpec(over: Node, ctx: ExprContext): string {
  const partition = list(over["partitionClause"] ?? []).map((p) => translateExpr(p, ctx).sql);
  const order = list(over["orderClause"] ?? []).map((s) => sortKeyOf(s, ctx).sql);
  return [partition.length > 0 ? `PARTITION BY ${partition.join(", ")}` : "", order.length > 0 ? `ORDER BY ${order.join(", ")}` : ""].filter(Boolean).join(" ");
}
