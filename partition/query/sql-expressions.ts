import { invalidQuery } from "./query-errors.js";
import { parseIntervalLiteral, parseTimestampLiteral, sqlString } from "./sql-values.js";
import type { ColumnDef, ColumnType } from "./system-tables.js";

/**
 * Expressions of PostgreSQL's parse tree (libpg-query) written as SQLite expressions, with their wire type.
 * Where the two dialects differ in meaning, this is where it is bridged: `==`, ILIKE, NULLS ordering,
 * aggregates with ORDER BY (`FIRST_VALUE(x ORDER BY y)`), timestamps against ISO strings, intervals.
 */

// The parse tree is libpg-query's JSON: one key per node naming its kind.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Node = Record<string, any>;

export interface Expr {
  readonly sql: string;
  readonly type: ColumnType;
  /** The output name this expression gets without an alias (PostgreSQL's rules). */
  readonly name: string;
  /** The literal's text, for literals (timestamps against strings are normalized from it). */
  readonly literal?: string;
  readonly aggregate?: boolean;
}

/** What expressions need from their statement: column lookup, subqueries, the query's clock. */
export interface ExprContext {
  resolveColumn(fields: readonly string[]): Expr;
  /** Output aliases of the SELECT list, for ORDER BY and GROUP BY (which may name them). */
  readonly outputs?: ReadonlyMap<string, Expr>;
  subquery(select: Node): { sql: string; columns: readonly ColumnDef[] };
  /** `now()`, fixed for the whole query (as PostgreSQL does), in ms. */
  readonly now: number;
}

export function translateExpr(node: Node, ctx: ExprContext): Expr {
  const [kind, body] = Object.entries(node)[0] as [string, Node];
  switch (kind) {
    case "ColumnRef":
      return columnRef(body, ctx);
    case "A_Const":
      return constant(body);
    case "A_Expr":
      return operatorExpr(body, ctx);
    case "BoolExpr":
      return boolExpr(body, ctx);
    case "NullTest": {
      const arg = translateExpr(body["arg"], ctx);
      return { sql: `(${arg.sql} ${body["nulltesttype"] === "IS_NULL" ? "IS NULL" : "IS NOT NULL"})`, type: "bool", name: "?column?" };
    }
    case "BooleanTest": {
      const arg = translateExpr(body["arg"], ctx);
      const test = String(body["booltesttype"]).replace(/^IS_/, "IS ").replaceAll("_", " ").replace("UNKNOWN", "NULL");
      return { sql: `(${arg.sql} ${test})`, type: "bool", name: "?column?" };
    }
    case "SubLink":
      return subLink(body, ctx);
    case "FuncCall":
      return functionCall(body, ctx);
    case "TypeCast":
      return typeCast(body, ctx);
    case "CaseExpr":
      return caseExpr(body, ctx);
    case "CoalesceExpr": {
      const args = list(body["args"]).map((a) => translateExpr(a, ctx));
      return { sql: `coalesce(${args.map((a) => a.sql).join(", ")})`, type: firstType(args), name: "coalesce" };
    }
    case "MinMaxExpr": {
      const args = list(body["args"]).map((a) => translateExpr(a, ctx));
      const greatest = body["op"] === "IS_GREATEST";
      return { sql: `${greatest ? "max" : "min"}(${args.map((a) => a.sql).join(", ")})`, type: firstType(args), name: greatest ? "greatest" : "least" };
    }
    case "SQLValueFunction":
      return { sql: sqlString(new Date(ctx.now).toISOString()), type: "ts", name: "now" };
    default:
      throw invalidQuery(`this kind of expression is not supported: ${kind}`);
  }
}

function columnRef(body: Node, ctx: ExprContext): Expr {
  const fields = list(body["fields"]).map((f) => ("A_Star" in f ? "*" : String(f["String"]["sval"])));
  if (fields.at(-1) === "*") throw invalidQuery("'*' is only allowed in the SELECT list and in COUNT(*)");
  // A bare name that is an output alias (ORDER BY n, GROUP BY bucket) refers to that output.
  if (fields.length === 1 && ctx.outputs?.has(fields[0]!) === true) {
    try {
      return ctx.resolveColumn(fields);
    } catch {
      const out = ctx.outputs.get(fields[0]!)!;
      return { ...out, sql: `"${fields[0]!.replaceAll('"', '""')}"` };
    }
  }
  return ctx.resolveColumn(fields);
}

function constant(body: Node): Expr {
  if (body["isnull"] === true) return { sql: "NULL", type: "null", name: "?column?" };
  if ("ival" in body) {
    const value = Number(body["ival"]["ival"] ?? 0);
    return { sql: String(value), type: "i64", name: "?column?", literal: String(value) };
  }
  if ("fval" in body) return { sql: String(Number(body["fval"]["fval"])), type: "f64", name: "?column?" };
  if ("boolval" in body) return { sql: body["boolval"]["boolval"] === true ? "1" : "0", type: "bool", name: "bool" };
  if ("sval" in body) {
    const text = String(body["sval"]["sval"] ?? "");
    return { sql: sqlString(text), type: "utf8", name: "?column?", literal: text };
  }
  throw invalidQuery("this kind of constant is not supported");
}

const COMPARISONS = new Map([
  ["=", "="],
  ["==", "="],
  ["!=", "!="],
  ["<>", "!="],
  ["<", "<"],
  [">", ">"],
  ["<=", "<="],
  [">=", ">="],
]);

function operatorExpr(body: Node, ctx: ExprContext): Expr {
  const op = String(list(body["name"]).at(-1)?.["String"]?.["sval"] ?? "");
  switch (body["kind"]) {
    case "AEXPR_OP": {
      if (body["lexpr"] === undefined) {
        const arg = translateExpr(body["rexpr"], ctx);
        if (op !== "-" && op !== "+") throw invalidQuery(`the prefix operator ${op} is not supported`);
        return { sql: `(${op}${arg.sql})`, type: arg.type, name: "?column?" };
      }
      const left = translateExpr(body["lexpr"], ctx);
      const right = translateExpr(body["rexpr"], ctx);
      const comparison = COMPARISONS.get(op);
      if (comparison !== undefined) {
        const [l, r] = comparable(left, right);
        return { sql: `(${l} ${comparison} ${r})`, type: "bool", name: "?column?" };
      }
      return arithmetic(op, left, right);
    }
    case "AEXPR_IN": {
      const left = translateExpr(body["lexpr"], ctx);
      const items = list(body["rexpr"]).map((item) => comparable(left, translateExpr(item, ctx))[1]);
      return { sql: `(${left.sql} ${op === "=" ? "IN" : "NOT IN"} (${items.join(", ")}))`, type: "bool", name: "?column?" };
    }
    case "AEXPR_LIKE":
    case "AEXPR_ILIKE": {
      const left = translateExpr(body["lexpr"], ctx);
      const right = translateExpr(body["rexpr"], ctx);
      const not = op.startsWith("!") ? "NOT " : "";
      // The query connection makes LIKE case-sensitive, as in PostgreSQL; ILIKE compares lower case.
      const [l, r] = body["kind"] === "AEXPR_ILIKE" ? [`lower(${left.sql})`, `lower(${right.sql})`] : [left.sql, right.sql];
      return { sql: `(${l} ${not}LIKE ${r})`, type: "bool", name: "?column?" };
    }
    case "AEXPR_BETWEEN":
    case "AEXPR_NOT_BETWEEN": {
      const left = translateExpr(body["lexpr"], ctx);
      const [low, high] = list(body["rexpr"]).map((b) => comparable(left, translateExpr(b, ctx))[1]);
      const not = body["kind"] === "AEXPR_NOT_BETWEEN" ? "NOT " : "";
      return { sql: `(${left.sql} ${not}BETWEEN ${low} AND ${high})`, type: "bool", name: "?column?" };
    }
    case "AEXPR_DISTINCT":
    case "AEXPR_NOT_DISTINCT": {
      const [l, r] = comparable(translateExpr(body["lexpr"], ctx), translateExpr(body["rexpr"], ctx));
      return { sql: `(${l} ${body["kind"] === "AEXPR_DISTINCT" ? "IS NOT" : "IS"} ${r})`, type: "bool", name: "?column?" };
    }
    default:
      throw invalidQuery(`the operator ${op} (${String(body["kind"])}) is not supported`);
  }
}

/** Both sides of a comparison in one representation: a timestamp against a string reads the string as one. */
function comparable(left: Expr, right: Expr): [string, string] {
  const asTimestamp = (e: Expr, other: Expr) =>
    other.type === "ts" && e.type === "utf8" ? (e.literal !== undefined ? sqlString(parseTimestampLiteral(e.literal)) : `stet_ts(${e.sql})`) : e.sql;
  return [asTimestamp(left, right), asTimestamp(right, left)];
}

function arithmetic(op: string, left: Expr, right: Expr): Expr {
  if (left.type === "ts" && (right.type === "dur" || right.type === "ts") && (op === "+" || op === "-")) {
    if (right.type === "ts") {
      if (op !== "-") throw invalidQuery("timestamps can be subtracted, not added");
      return { sql: `stet_ts_diff(${left.sql}, ${right.sql})`, type: "dur", name: "?column?" };
    }
    return { sql: `stet_ts_add(${left.sql}, ${op === "-" ? "-" : ""}(${right.sql}))`, type: "ts", name: "?column?" };
  }
  if (op === "||") return { sql: `(${left.sql} || ${right.sql})`, type: "utf8", name: "?column?" };
  if (!["+", "-", "*", "/", "%"].includes(op)) throw invalidQuery(`the operator ${op} is not supported`);
  const type: ColumnType = left.type === "f64" || right.type === "f64" ? "f64" : left.type === "dur" ? "dur" : left.type === "null" ? right.type : left.type;
  return { sql: `(${left.sql} ${op} ${right.sql})`, type, name: "?column?" };
}

function boolExpr(body: Node, ctx: ExprContext): Expr {
  const args = list(body["args"]).map((a) => translateExpr(a, ctx).sql);
  if (body["boolop"] === "NOT_EXPR") return { sql: `(NOT ${args[0]})`, type: "bool", name: "?column?" };
  return { sql: `(${args.join(body["boolop"] === "AND_EXPR" ? " AND " : " OR ")})`, type: "bool", name: "?column?" };
}

function subLink(body: Node, ctx: ExprContext): Expr {
  const sub = ctx.subquery(body["subselect"]);
  switch (body["subLinkType"]) {
    case "EXISTS_SUBLINK":
      return { sql: `EXISTS (${sub.sql})`, type: "bool", name: "exists" };
    case "ANY_SUBLINK": {
      const op = list(body["operName"] ?? []).at(-1)?.["String"]?.["sval"] ?? "=";
      if (op !== "=") throw invalidQuery(`${op} ANY (subquery) is not supported; use IN`);
      return { sql: `(${translateExpr(body["testexpr"], ctx).sql} IN (${sub.sql}))`, type: "bool", name: "?column?" };
    }
    case "EXPR_SUBLINK":
      return { sql: `(${sub.sql})`, type: sub.columns[0]?.type ?? "null", name: sub.columns[0]?.name ?? "?column?" };
    default:
      throw invalidQuery(`this kind of subquery is not supported: ${String(body["subLinkType"])}`);
  }
}

function caseExpr(body: Node, ctx: ExprContext): Expr {
  const arg = body["arg"] === undefined ? undefined : translateExpr(body["arg"], ctx);
  const results: Expr[] = [];
  const whens = list(body["args"]).map((w) => {
    const when = w["CaseWhen"];
    const result = translateExpr(when["result"], ctx);
    results.push(result);
    return `WHEN ${translateExpr(when["expr"], ctx).sql} THEN ${result.sql}`;
  });
  const otherwise = body["defresult"] === undefined ? undefined : translateExpr(body["defresult"], ctx);
  if (otherwise !== undefined) results.push(otherwise);
  const sql = `(CASE ${arg === undefined ? "" : `${arg.sql} `}${whens.join(" ")}${otherwise === undefined ? "" : ` ELSE ${otherwise.sql}`} END)`;
  return { sql, type: firstType(results), name: "case" };
}

const CAST_TYPES = new Map<string, readonly [string, ColumnType]>([
  ["text", ["TEXT", "utf8"]],
  ["varchar", ["TEXT", "utf8"]],
  ["string", ["TEXT", "utf8"]],
  ["bpchar", ["TEXT", "utf8"]],
  ["int2", ["INTEGER", "i64"]],
  ["int4", ["INTEGER", "i64"]],
  ["int8", ["INTEGER", "i64"]],
  ["bigint", ["INTEGER", "i64"]],
  ["float4", ["REAL", "f64"]],
  ["float8", ["REAL", "f64"]],
  ["numeric", ["REAL", "f64"]],
  ["bool", ["INTEGER", "bool"]],
]);

function typeCast(body: Node, ctx: ExprContext): Expr {
  const typeName = lastName(body["typeName"]["names"]);
  const arg = translateExpr(body["arg"], ctx);
  if (typeName === "timestamp" || typeName === "timestamptz") {
    if (arg.literal !== undefined) return { sql: sqlString(parseTimestampLiteral(arg.literal)), type: "ts", name: "timestamp" };
    return { sql: arg.type === "ts" || arg.type === "null" ? arg.sql : `stet_ts(${arg.sql})`, type: "ts", name: arg.name };
  }
  if (typeName === "interval") {
    if (arg.literal === undefined) throw invalidQuery("INTERVAL takes a literal, e.g. INTERVAL '60 seconds'");
    return { sql: String(parseIntervalLiteral(arg.literal)), type: "dur", name: "interval" };
  }
  const cast = CAST_TYPES.get(typeName);
  if (cast === undefined) throw invalidQuery(`casting to ${typeName} is not supported`);
  return { sql: arg.sql === "NULL" ? "NULL" : `CAST(${arg.sql} AS ${cast[0]})`, type: cast[1], name: arg.name };
}

/** Function calls: aggregates (with ORDER BY and FILTER), window functions, and the scalar functions clients use. */
function functionCall(body: Node, ctx: ExprContext): Expr {
  const name = lastName(body["funcname"]);
  const args = list(body["args"] ?? []).map((a) => translateExpr(a, ctx));
  const order = list(body["agg_order"] ?? []).map((s) => sortKey(s, ctx)).join(", ");
  const filter = body["agg_filter"] === undefined ? "" : ` FILTER (WHERE ${translateExpr(body["agg_filter"], ctx).sql})`;
  const distinct = body["agg_distinct"] === true ? "DISTINCT " : "";
  const over = body["over"] === undefined ? "" : ` OVER (${windowSpec(body["over"], ctx)})`;
  const call = (fn: string, type: ColumnType, aggregate = true): Expr => ({
    sql: `${fn}(${distinct}${body["agg_star"] === true ? "*" : args.map((a) => a.sql).join(", ")}${order === "" ? "" : ` ORDER BY ${order}`})${filter}${over}`,
    type,
    name,
    aggregate: aggregate && over === "",
  });
  switch (name) {
    case "count":
      return call("count", "i64");
    case "sum":
      return call("sum", args[0]?.type === "u32" || args[0]?.type === "u64" ? "u64" : args[0]?.type === "f64" ? "f64" : "i64");
    case "min":
    case "max":
      return call(name, firstType(args));
    case "avg":
      return call("avg", "f64");
    case "first_value":
    case "last_value":
      // As a window function SQLite has both; as an aggregate (DataFusion's `FIRST_VALUE(x ORDER BY y)`) stet's own.
      return over !== "" ? call(name, firstType(args), false) : call(name === "first_value" ? "stet_first" : "stet_last", firstType(args));
    case "row_number":
    case "rank":
    case "dense_rank":
      return call(name, "u64", false);
    case "lower":
    case "upper":
    case "trim":
    case "ltrim":
    case "rtrim":
    case "replace":
      return call(name, "utf8", false);
    case "length":
    case "char_length":
    case "character_length":
      return call("length", "i64", false);
    case "substr":
    case "substring":
      return call("substr", "utf8", false);
    case "abs":
    case "round":
      return call(name, firstType(args), false);
    case "concat":
      return { sql: `(${args.map((a) => `coalesce(${a.sql}, '')`).join(" || ")})`, type: "utf8", name };
    case "starts_with":
    case "ends_with": {
      const [s, p] = args as [Expr, Expr];
      const part = name === "starts_with" ? `substr(${s.sql}, 1, length(${p.sql}))` : `substr(${s.sql}, -length(${p.sql}))`;
      return { sql: `(${part} = ${p.sql})`, type: "bool", name };
    }
    case "now":
    case "current_timestamp":
      return { sql: sqlString(new Date(ctx.now).toISOString()), type: "ts", name: "now" };
    case "date_bin": {
      const [stride, ts, origin] = args;
      return { sql: `stet_date_bin(${stride!.sql}, ${ts!.sql}, ${origin?.sql ?? "NULL"})`, type: "ts", name };
    }
    case "date_trunc":
      return call("stet_date_trunc", "ts", false);
    case "to_unixtime":
      return call("stet_to_unixtime", "i64", false);
    case "arrow_cast":
      return { ...args[0]!, name: args[0]!.name };
    default:
      throw invalidQuery(`the function ${name}() is not supported`);
  }
}

function windowSpec(over: Node, ctx: ExprContext): string {
  const partition = list(over["partitionClause"] ?? []).map((p) => translateExpr(p, ctx).sql);
  const order = list(over["orderClause"] ?? []).map((s) => sortKey(s, ctx));
  return [partition.length > 0 ? `PARTITION BY ${partition.join(", ")}` : "", order.length > 0 ? `ORDER BY ${order.join(", ")}` : ""].filter(Boolean).join(" ");
}

/** One ORDER BY key. PostgreSQL puts NULLs last when ascending and first when descending; SQLite the other way. */
export function sortKey(sortBy: Node, ctx: ExprContext): string {
  const body = sortBy["SortBy"];
  const expr = translateExpr(body["node"], ctx);
  const descending = body["sortby_dir"] === "SORTBY_DESC";
  const nulls = body["sortby_nulls"] === "SORTBY_NULLS_FIRST" ? "FIRST" : body["sortby_nulls"] === "SORTBY_NULLS_LAST" ? "LAST" : descending ? "FIRST" : "LAST";
  return `${expr.sql} ${descending ? "DESC" : "ASC"} NULLS ${nulls}`;
}

function firstType(exprs: readonly Expr[]): ColumnType {
  return exprs.find((e) => e.type !== "null")?.type ?? "null";
}

/** The last part of a qualified name (`pg_catalog.timestamp` → `timestamp`), lower case. */
function lastName(names: unknown): string {
  return String(list(names).at(-1)?.["String"]?.["sval"] ?? "").toLowerCase();
}

function list(value: unknown): Node[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value as Node[];
  const items = (value as Node)["List"]?.["items"];
  return Array.isArray(items) ? (items as Node[]) : [value as Node];
}
