import { invalidQuery } from "../partition/query/query-errors.js";
import { parseIntervalLiteral, parseTimestampLiteral, sqlString } from "../partition/query/sql-values.js";
import type { ColumnDef, ColumnType } from "../partition/query/system-tables.js";
import type { SqlDialect } from "./sql-dialect.js";

/**
 * Expressions of PostgreSQL's parse tree (libpg-query) written in a backend's dialect, with the type,
 * nullability and unaliased name DataFusion gives them (Restate's engine: the CLI and the UI read results
 * by these). Where DataFusion means something else than the backend, this is where it is bridged: `==`,
 * ILIKE, NULLS ordering, aggregates with ORDER BY (`FIRST_VALUE(x ORDER BY y)`), timestamps against ISO
 * strings, intervals.
 */

// The parse tree is libpg-query's JSON: one key per node naming its kind.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Node = Record<string, any>;

export interface Expr {
  readonly sql: string;
  readonly type: ColumnType;
  /** The output name without an alias: a column's own name, otherwise `display`. */
  readonly name: string;
  /**
   * The expression as DataFusion writes it in a result column's name (`count(Int64(1))`,
   * `inv.id IS NOT NULL`): columns with their table, literals with their type.
   */
  readonly display: string;
  readonly nullable: boolean;
  /** The literal's text, for literals (timestamps against strings are normalized from it). */
  readonly literal?: string;
  readonly aggregate?: boolean;
  /** A column the reader computes (ComputedColumn): only ever selected as it is. */
  readonly computedBy?: string;
}

/** What expressions need from their statement: column lookup, subqueries, the query's clock. */
export interface ExprContext {
  resolveColumn(fields: readonly string[]): Expr;
  /** Output aliases of the SELECT list, for ORDER BY and GROUP BY (which may name them). */
  readonly outputs?: ReadonlyMap<string, Expr>;
  subquery(select: Node): { sql: string; columns: readonly ColumnDef[] };
  /** `now()`, fixed for the whole query (as PostgreSQL does), in ms. */
  readonly now: number;
  readonly dialect: SqlDialect;
  /**
   * Translates a function call (sql-functions.ts). Handed in by the statement's translator rather than
   * imported: function calls translate their arguments with translateExpr, so the two modules would
   * otherwise import each other.
   */
  functionCall(body: Node, ctx: ExprContext): Expr;
}

/** An expression that is not a column: its name is its display. */
export function derived(sql: string, type: ColumnType, display: string, nullable: boolean, extra: Partial<Expr> = {}): Expr {
  return { sql, type, name: display, display, nullable, ...extra };
}

export function translateExpr(node: Node, ctx: ExprContext): Expr {
  const [kind, body] = Object.entries(node)[0] as [string, Node];
  switch (kind) {
    case "ColumnRef":
      return columnRef(body, ctx);
    case "A_Const":
      return constant(body, ctx);
    case "A_Expr":
      return operatorExpr(body, ctx);
    case "BoolExpr":
      return boolExpr(body, ctx);
    case "NullTest": {
      const arg = translateExpr(body["arg"], ctx);
      const test = body["nulltesttype"] === "IS_NULL" ? "IS NULL" : "IS NOT NULL";
      return derived(`(${arg.sql} ${test})`, "bool", `${arg.display} ${test}`, false);
    }
    case "BooleanTest": {
      const arg = translateExpr(body["arg"], ctx);
      const test = String(body["booltesttype"]).replace(/^IS_/, "IS ").replaceAll("_", " ");
      // DataFusion keeps the argument's nullability here (observed: `x IS NOT TRUE` is nullable).
      return derived(`(${arg.sql} ${test.replace("UNKNOWN", "NULL")})`, "bool", `${arg.display} ${test}`, arg.nullable);
    }
    case "SubLink":
      return subLink(body, ctx);
    case "FuncCall":
      return ctx.functionCall(body, ctx);
    case "TypeCast":
      return typeCast(body, ctx);
    case "CaseExpr":
      return caseExpr(body, ctx);
    case "CoalesceExpr": {
      const args = list(body["args"]).map((a) => translateExpr(a, ctx));
      return derived(`coalesce(${args.map((a) => a.sql).join(", ")})`, commonType(args), callDisplay("coalesce", args), args.every((a) => a.nullable));
    }
    case "MinMaxExpr": {
      const args = list(body["args"]).map((a) => translateExpr(a, ctx));
      const greatest = body["op"] === "IS_GREATEST";
      const sql = ctx.dialect.extreme(args.map((a) => a.sql), greatest);
      return derived(sql, commonType(args), callDisplay(greatest ? "greatest" : "least", args), args.every((a) => a.nullable));
    }
    case "SQLValueFunction":
      return derived(ctx.dialect.timestamp(new Date(ctx.now).toISOString()), "ts", "now()", false);
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
    } catch (error) {
      const out = ctx.outputs.get(fields[0]!)!;
      if (out.computedBy !== undefined) throw error;
      return { ...out, sql: `"${fields[0]!.replaceAll('"', '""')}"` };
    }
  }
  return ctx.resolveColumn(fields);
}

function constant(body: Node, ctx: ExprContext): Expr {
  if (body["isnull"] === true) return derived("NULL", "null", "NULL", true);
  if ("ival" in body) {
    const value = Number(body["ival"]["ival"] ?? 0);
    return derived(String(value), "i64", `Int64(${value})`, false, { literal: String(value) });
  }
  if ("fval" in body) {
    const value = Number(body["fval"]["fval"]);
    return derived(String(value), "f64", `Float64(${value})`, false);
  }
  if ("boolval" in body) {
    const value = body["boolval"]["boolval"] === true;
    return derived(ctx.dialect.bool(value), "bool", `Boolean(${value})`, false);
  }
  if ("sval" in body) {
    const text = String(body["sval"]["sval"] ?? "");
    // DataFusion types a string literal Utf8 (the tables' strings are LargeUtf8).
    return derived(sqlString(text), "small_utf8", `Utf8(${JSON.stringify(text)})`, false, { literal: text });
  }
  throw invalidQuery("this kind of constant is not supported");
}

/** Comparison operators, with the name DataFusion displays them by. */
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
        return derived(`(${op}${arg.sql})`, arg.type, op === "-" ? `(- ${arg.display})` : arg.display, arg.nullable);
      }
      const left = translateExpr(body["lexpr"], ctx);
      const right = translateExpr(body["rexpr"], ctx);
      const comparison = COMPARISONS.get(op);
      const nullable = left.nullable || right.nullable;
      if (comparison !== undefined) {
        const [l, r] = comparable(left, right, ctx.dialect);
        return derived(`(${l} ${comparison} ${r})`, "bool", `${left.display} ${comparison} ${right.display}`, nullable);
      }
      return arithmetic(op, left, right, ctx.dialect);
    }
    case "AEXPR_IN": {
      const left = translateExpr(body["lexpr"], ctx);
      const items = list(body["rexpr"]).map((item) => translateExpr(item, ctx));
      const not = op === "=" ? "" : "NOT ";
      const sql = `(${left.sql} ${not}IN (${items.map((item) => comparable(left, item, ctx.dialect)[1]).join(", ")}))`;
      return derived(sql, "bool", `${left.display} ${not}IN ${items.map((i) => i.display).join(", ")}`, left.nullable || items.some((i) => i.nullable));
    }
    case "AEXPR_LIKE":
    case "AEXPR_ILIKE": {
      const left = translateExpr(body["lexpr"], ctx);
      const right = translateExpr(body["rexpr"], ctx);
      const not = op.startsWith("!") ? "NOT " : "";
      const like = body["kind"] === "AEXPR_ILIKE" ? "ILIKE" : "LIKE";
      // The query connection makes LIKE case-sensitive, as in PostgreSQL; ILIKE compares lower case.
      const [l, r] = like === "ILIKE" ? [`lower(${left.sql})`, `lower(${right.sql})`] : [left.sql, right.sql];
      return derived(`(${l} ${not}LIKE ${r})`, "bool", `${left.display} ${not}${like} ${right.display}`, left.nullable || right.nullable);
    }
    case "AEXPR_BETWEEN":
    case "AEXPR_NOT_BETWEEN": {
      const left = translateExpr(body["lexpr"], ctx);
      const [low, high] = list(body["rexpr"]).map((b) => translateExpr(b, ctx)) as [Expr, Expr];
      const not = body["kind"] === "AEXPR_NOT_BETWEEN" ? "NOT " : "";
      const sql = `(${left.sql} ${not}BETWEEN ${comparable(left, low, ctx.dialect)[1]} AND ${comparable(left, high, ctx.dialect)[1]})`;
      const display = `${left.display} ${not}BETWEEN ${low.display} AND ${high.display}`;
      return derived(sql, "bool", display, left.nullable || low.nullable || high.nullable);
    }
    case "AEXPR_DISTINCT":
    case "AEXPR_NOT_DISTINCT": {
      const left = translateExpr(body["lexpr"], ctx);
      const right = translateExpr(body["rexpr"], ctx);
      const [l, r] = comparable(left, right, ctx.dialect);
      const distinct = body["kind"] === "AEXPR_DISTINCT";
      return derived(ctx.dialect.distinct(l, r, distinct), "bool", `${left.display} IS ${distinct ? "" : "NOT "}DISTINCT FROM ${right.display}`, false);
    }
    default:
      throw invalidQuery(`the operator ${op} (${String(body["kind"])}) is not supported`);
  }
}

export function isText(type: ColumnType): boolean {
  return type === "utf8" || type === "small_utf8";
}

/** Both sides of a comparison in one representation: a timestamp against a string reads the string as one. */
function comparable(left: Expr, right: Expr, dialect: SqlDialect): [string, string] {
  const asTimestamp = (e: Expr, other: Expr) => (other.type === "ts" && isText(e.type) ? timestampOf(e, dialect) : e.sql);
  return [asTimestamp(left, right), asTimestamp(right, left)];
}

/** A text (or ms) expression as a timestamp; a literal is read here, so that a bad one is the query's error. */
function timestampOf(e: Expr, dialect: SqlDialect): string {
  return e.literal !== undefined ? dialect.timestamp(parseTimestampLiteral(e.literal)) : dialect.toTimestamp(e.sql);
}

function arithmetic(op: string, left: Expr, right: Expr, dialect: SqlDialect): Expr {
  const display = `${left.display} ${op} ${right.display}`;
  const nullable = left.nullable || right.nullable;
  if (left.type === "ts" && (right.type === "dur" || right.type === "ts") && (op === "+" || op === "-")) {
    if (right.type === "ts") {
      if (op !== "-") throw invalidQuery("timestamps can be subtracted, not added");
      return derived(dialect.timestampDiff(left.sql, right.sql), "dur", display, nullable);
    }
    return derived(dialect.timestampPlus(left.sql, `${op === "-" ? "-" : ""}(${right.sql})`), "ts", display, nullable);
  }
  if (op === "||") return derived(`(${left.sql} || ${right.sql})`, commonType([left, right]), display, nullable);
  if (!["+", "-", "*", "/", "%"].includes(op)) throw invalidQuery(`the operator ${op} is not supported`);
  const type: ColumnType = left.type === "f64" || right.type === "f64" ? "f64" : left.type === "dur" ? "dur" : left.type === "null" ? right.type : left.type;
  return derived(`(${left.sql} ${op} ${right.sql})`, type, display, nullable);
}

function boolExpr(body: Node, ctx: ExprContext): Expr {
  const args = list(body["args"]).map((a) => translateExpr(a, ctx));
  const nullable = args.some((a) => a.nullable);
  if (body["boolop"] === "NOT_EXPR") return derived(`(NOT ${args[0]!.sql})`, "bool", `NOT ${args[0]!.display}`, nullable);
  const op = body["boolop"] === "AND_EXPR" ? "AND" : "OR";
  return derived(`(${args.map((a) => a.sql).join(` ${op} `)})`, "bool", args.map((a) => a.display).join(` ${op} `), nullable);
}

function subLink(body: Node, ctx: ExprContext): Expr {
  const sub = ctx.subquery(body["subselect"]);
  switch (body["subLinkType"]) {
    case "EXISTS_SUBLINK":
      return derived(`EXISTS (${sub.sql})`, "bool", "exists", false);
    case "ANY_SUBLINK": {
      const op = list(body["operName"] ?? []).at(-1)?.["String"]?.["sval"] ?? "=";
      if (op !== "=") throw invalidQuery(`${op} ANY (subquery) is not supported; use IN`);
      const test = translateExpr(body["testexpr"], ctx);
      return derived(`(${test.sql} IN (${sub.sql}))`, "bool", `${test.display} IN (<subquery>)`, true);
    }
    case "EXPR_SUBLINK": {
      const column = sub.columns[0];
      return { ...derived(`(${sub.sql})`, column?.type ?? "null", column?.name ?? "?column?", true), name: column?.name ?? "?column?" };
    }
    default:
      throw invalidQuery(`this kind of subquery is not supported: ${String(body["subLinkType"])}`);
  }
}

function caseExpr(body: Node, ctx: ExprContext): Expr {
  const arg = body["arg"] === undefined ? undefined : translateExpr(body["arg"], ctx);
  const results: Expr[] = [];
  const whens = list(body["args"]).map((w) => {
    const when = w["CaseWhen"];
    const condition = translateExpr(when["expr"], ctx);
    const result = translateExpr(when["result"], ctx);
    results.push(result);
    return { sql: `WHEN ${condition.sql} THEN ${result.sql}`, display: `WHEN ${condition.display} THEN ${result.display}` };
  });
  const otherwise = body["defresult"] === undefined ? undefined : translateExpr(body["defresult"], ctx);
  if (otherwise !== undefined) results.push(otherwise);
  const head = arg === undefined ? "CASE " : `CASE ${arg.sql} `;
  const sql = `(${head}${whens.map((w) => w.sql).join(" ")}${otherwise === undefined ? "" : ` ELSE ${otherwise.sql}`} END)`;
  const display = `CASE ${arg === undefined ? "" : `${arg.display} `}${whens.map((w) => w.display).join(" ")}${otherwise === undefined ? "" : ` ELSE ${otherwise.display}`} END`;
  // Without ELSE a row that matches no WHEN is NULL.
  return derived(sql, commonType(results), display, otherwise === undefined || results.some((r) => r.nullable));
}

const CAST_TYPES = new Map<string, readonly [Parameters<SqlDialect["castType"]>[0], ColumnType]>([
  ["text", ["text", "utf8"]],
  ["varchar", ["text", "utf8"]],
  ["string", ["text", "utf8"]],
  ["bpchar", ["text", "utf8"]],
  ["int2", ["integer", "i64"]],
  ["int4", ["integer", "i64"]],
  ["int8", ["integer", "i64"]],
  ["bigint", ["integer", "i64"]],
  ["float4", ["real", "f64"]],
  ["float8", ["real", "f64"]],
  ["numeric", ["real", "f64"]],
  ["bool", ["bool", "bool"]],
]);

/** A cast is left out of the name, as DataFusion does (`TIMESTAMP '…'` is named by its string). */
function typeCast(body: Node, ctx: ExprContext): Expr {
  const typeName = lastName(body["typeName"]["names"]);
  const arg = translateExpr(body["arg"], ctx);
  const as = (sql: string, type: ColumnType): Expr => ({ ...arg, sql, type, literal: undefined });
  if (typeName === "timestamp" || typeName === "timestamptz") {
    return as(arg.type === "ts" || arg.type === "null" ? arg.sql : timestampOf(arg, ctx.dialect), "ts");
  }
  if (typeName === "interval") {
    if (arg.literal === undefined) throw invalidQuery("INTERVAL takes a literal, e.g. INTERVAL '60 seconds'");
    const ms = parseIntervalLiteral(arg.literal);
    // DataFusion's interval literal names itself by its parts (stet keeps days as nanoseconds).
    const display = `IntervalMonthDayNano("IntervalMonthDayNano { months: 0, days: 0, nanoseconds: ${BigInt(ms) * 1_000_000n} }")`;
    return derived(String(ms), "dur", display, false);
  }
  const cast = CAST_TYPES.get(typeName);
  if (cast === undefined) throw invalidQuery(`casting to ${typeName} is not supported`);
  return as(arg.sql === "NULL" ? "NULL" : `CAST(${arg.sql} AS ${ctx.dialect.castType(cast[0])})`, cast[1]);
}

/** One ORDER BY key, as SQL and as DataFusion displays it. */
export function sortKeyOf(sortBy: Node, ctx: ExprContext): { sql: string; display: string } {
  const body = sortBy["SortBy"];
  const expr = translateExpr(body["node"], ctx);
  const descending = body["sortby_dir"] === "SORTBY_DESC";
  // PostgreSQL (and DataFusion) put NULLs last when ascending and first when descending; SQLite the other way.
  const nulls = body["sortby_nulls"] === "SORTBY_NULLS_FIRST" ? "FIRST" : body["sortby_nulls"] === "SORTBY_NULLS_LAST" ? "LAST" : descending ? "FIRST" : "LAST";
  const order = `${descending ? "DESC" : "ASC"} NULLS ${nulls}`;
  return { sql: `${expr.sql} ${order}`, display: `${expr.display} ${order}` };
}

/** One ORDER BY key as SQLite SQL. */
export function sortKey(sortBy: Node, ctx: ExprContext): string {
  return sortKeyOf(sortBy, ctx).sql;
}

/** `name(a,b)`: how DataFusion displays a function call (arguments without spaces). */
export function callDisplay(name: string, args: readonly Expr[]): string {
  return `${name}(${args.map((a) => a.display).join(",")})`;
}

const NUMERIC: ReadonlySet<ColumnType> = new Set(["u32", "u64", "i64", "f64", "decimal20"]);

/**
 * The type DataFusion gives values of several types taken together (CASE branches, COALESCE arguments,
 * `||`): Utf8 with LargeUtf8 is LargeUtf8; UInt64 with Int64 is Decimal128(20, 0), which holds both;
 * other integers widen to Int64, anything with a float is Float64.
 */
export function commonType(exprs: readonly Expr[]): ColumnType {
  const types = [...new Set(exprs.map((e) => e.type).filter((t) => t !== "null"))];
  if (types.length === 0) return "null";
  if (types.length === 1) return types[0]!;
  if (types.every(isText)) return "utf8";
  if (types.every((t) => NUMERIC.has(t))) {
    if (types.includes("f64")) return "f64";
    if (types.includes("decimal20") || (types.includes("u64") && types.includes("i64"))) return "decimal20";
    return types.includes("i64") ? "i64" : "u64";
  }
  return types[0]!;
}

/** The last part of a qualified name (`pg_catalog.timestamp` → `timestamp`), lower case. */
export function lastName(names: unknown): string {
  return String(list(names).at(-1)?.["String"]?.["sval"] ?? "").toLowerCase();
}

export function list(value: unknown): Node[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value as Node[];
  const items = (value as Node)["List"]?.["items"];
  return Array.isArray(items) ? (items as Node[]) : [value as Node];
}
