import { invalidQuery, QUERY_ERROR_CODES, QueryError } from "../partition/query/query-errors.js";
import { sortKey, translateExpr, type Expr, type ExprContext, type Node } from "./sql-expressions.js";
import { functionCall } from "./sql-functions.js";
import { sqlIdentifier } from "../partition/query/sql-values.js";
import { INFORMATION_SCHEMA, SYSTEM_TABLES, type ColumnDef } from "../partition/query/system-tables.js";
import type { FromItem, SqlDialect } from "./sql-dialect.js";

/**
 * One `/query` statement, from PostgreSQL's parse tree (libpg-query; the CLI and the web UI write
 * DataFusion's PostgreSQL dialect) to a SELECT over the system tables in a backend's dialect, with the
 * wire type of each result column. Anything but one SELECT is refused before it reaches a database.
 */

export interface TranslatedQuery {
  readonly sql: string;
  readonly columns: readonly ColumnDef[];
}

export interface TranslateOptions {
  /** The time `now()` stands for, in ms. */
  readonly now: number;
  readonly dialect: SqlDialect;
}

/** Translates the parse tree of one statement (what libpg-query's `parse` returns). */
export function translateQuery(parsed: Node, options: TranslateOptions): TranslatedQuery {
  const statements = (parsed["stmts"] ?? []) as Node[];
  if (statements.length !== 1) {
    throw new QueryError(QUERY_ERROR_CODES.notReadOnly, statements.length === 0 ? "the query is empty" : "send one statement at a time");
  }
  const statement = statements[0]!["stmt"] as Node;
  const select = statement["SelectStmt"] as Node | undefined;
  if (select === undefined) {
    const kind = Object.keys(statement)[0] ?? "statement";
    throw new QueryError(QUERY_ERROR_CODES.notReadOnly, `only SELECT queries are allowed: /query is read-only (got ${kind})`);
  }
  return new Translator(options.now, options.dialect).select(select, undefined, new Map());
}

interface Scope {
  readonly items: FromItem[];
  readonly parent: Scope | undefined;
}

type Ctes = ReadonlyMap<string, readonly ColumnDef[]>;

class Translator {
  #anonymous = 0;

  constructor(
    readonly now: number,
    readonly dialect: SqlDialect,
  ) {}

  select(stmt: Node, outer: Scope | undefined, outerCtes: Ctes): TranslatedQuery {
    if (stmt["intoClause"] !== undefined || stmt["lockingClause"] !== undefined) {
      throw new QueryError(QUERY_ERROR_CODES.notReadOnly, "SELECT … INTO and FOR UPDATE are not allowed: /query is read-only");
    }
    const ctes = new Map(outerCtes);
    const withSql = this.#with(stmt["withClause"], outer, ctes);
    const body = stmt["op"] !== undefined && stmt["op"] !== "SETOP_NONE" ? this.#compound(stmt, outer, ctes) : this.#simple(stmt, outer, ctes);
    return { sql: `${withSql}${body.sql}`, columns: body.columns };
  }

  #with(withClause: Node | undefined, outer: Scope | undefined, ctes: Map<string, readonly ColumnDef[]>): string {
    if (withClause === undefined) return "";
    const parts: string[] = [];
    for (const cte of withClause["ctes"] as Node[]) {
      const def = cte["CommonTableExpr"] as Node;
      const name = String(def["ctename"]);
      const query = def["ctequery"]["SelectStmt"] as Node;
      // `WITH r(n) AS (…)` names the columns itself.
      const aliases = ((def["aliascolnames"] ?? []) as Node[]).map((a) => String(a["String"]["sval"]));
      const named = (columns: readonly ColumnDef[]) => columns.map((c, i) => ({ ...c, name: aliases[i] ?? c.name }));
      if (withClause["recursive"] === true && query["larg"] !== undefined) {
        // The recursive member sees the CTE itself: its columns are those of the first member.
        ctes.set(name, named(this.select(query["larg"]["SelectStmt"] ?? query["larg"], outer, ctes).columns));
      }
      const translated = this.select(query, outer, ctes);
      ctes.set(name, named(translated.columns));
      const columnNames = aliases.length === 0 ? "" : `(${aliases.map(sqlIdentifier).join(", ")})`;
      parts.push(`${sqlIdentifier(name)}${columnNames} AS (${translated.sql})`);
    }
    return `WITH ${withClause["recursive"] === true ? "RECURSIVE " : ""}${parts.join(", ")} `;
  }

  #compound(stmt: Node, outer: Scope | undefined, ctes: Ctes): TranslatedQuery {
    const member = (node: Node): TranslatedQuery => {
      // The members of a compound SELECT come without the node-kind wrapper.
      const inner = (node["SelectStmt"] ?? node) as Node;
      const translated = this.select(inner, outer, ctes);
      // SQLite allows ORDER BY and LIMIT only at the end of a compound SELECT: a member with its own goes
      // in a subquery (which PostgreSQL wants aliased).
      const own = inner["sortClause"] !== undefined || inner["limitCount"] !== undefined || inner["withClause"] !== undefined;
      return own ? { sql: `SELECT * FROM (${translated.sql}) AS ${sqlIdentifier(`member_${++this.#anonymous}`)}`, columns: translated.columns } : translated;
    };
    const left = member(stmt["larg"]);
    const right = member(stmt["rarg"]);
    // A column of the union may be NULL if it may be in either member.
    const columns = left.columns.map((c, i) => (right.columns[i]?.nullable === false ? c : { ...c, nullable: true }));
    const op = { SETOP_UNION: "UNION", SETOP_EXCEPT: "EXCEPT", SETOP_INTERSECT: "INTERSECT" }[String(stmt["op"])];
    if (op === undefined) throw invalidQuery(`${String(stmt["op"])} is not supported`);
    let sql = `${left.sql} ${op}${stmt["all"] === true ? " ALL" : ""} ${right.sql}`;
    const scope: Scope = { items: [{ alias: "", columns }], parent: outer };
    sql += this.#orderAndLimit(stmt, this.#context(scope, ctes, undefined));
    return { sql, columns };
  }

  #simple(stmt: Node, outer: Scope | undefined, ctes: Ctes): TranslatedQuery {
    const scope: Scope = { items: [], parent: outer };
    const from = ((stmt["fromClause"] ?? []) as Node[]).map((item) => this.#fromItem(item, scope, ctes));
    const ctx = this.#context(scope, ctes, undefined);

    const outputs: Expr[] = [];
    for (const target of (stmt["targetList"] ?? []) as Node[]) {
      const res = target["ResTarget"] as Node;
      const star = this.#star(res["val"], scope);
      if (star !== undefined) {
        outputs.push(...star);
        continue;
      }
      // A column selected as it is may be one the reader computes; anything made of one may not.
      const fields = columnFields(res["val"]);
      const expr = fields === undefined ? translateExpr(res["val"], ctx) : resolve(scope, fields, true);
      outputs.push(res["name"] === undefined ? expr : { ...expr, name: String(res["name"]) });
    }
    const named = new Map(outputs.map((o) => [o.name, o] as const));
    const withOutputs = this.#context(scope, ctes, named);

    const distinct = stmt["distinctClause"] === undefined ? "" : this.#distinct(stmt["distinctClause"]);
    let sql = `SELECT ${distinct}${outputs.map((o) => `${o.sql} AS ${sqlIdentifier(o.name)}`).join(", ")}`;
    if (from.length > 0) sql += ` FROM ${from.join(", ")}`;
    const where = stmt["whereClause"] === undefined ? undefined : translateExpr(stmt["whereClause"], ctx).sql;
    const conditions = [this.dialect.rowCheck?.(scope.items), where].filter((c) => c !== undefined);
    if (conditions.length > 0) sql += ` WHERE ${conditions.join(" AND ")}`;
    const groups = ((stmt["groupClause"] ?? []) as Node[]).map((g) => translateExpr(g, withOutputs).sql);
    if (groups.length > 0) sql += ` GROUP BY ${groups.join(", ")}`;
    if (stmt["havingClause"] !== undefined) sql += ` HAVING ${translateExpr(stmt["havingClause"], withOutputs).sql}`;
    sql += this.#orderAndLimit(stmt, withOutputs);
    return { sql, columns: outputs.map(outputColumn) };
  }

  #distinct(clause: Node[]): string {
    if (clause.length === 1 && Object.keys(clause[0] ?? {}).length === 0) return "DISTINCT ";
    throw invalidQuery("DISTINCT ON is not supported");
  }

  #orderAndLimit(stmt: Node, ctx: ExprContext): string {
    let sql = "";
    const order = ((stmt["sortClause"] ?? []) as Node[]).map((s) => sortKey(s, ctx));
    if (order.length > 0) sql += ` ORDER BY ${order.join(", ")}`;
    const limit = stmt["limitCount"] === undefined ? undefined : translateExpr(stmt["limitCount"], ctx).sql;
    const offset = stmt["limitOffset"] === undefined ? undefined : translateExpr(stmt["limitOffset"], ctx).sql;
    if (limit !== undefined || offset !== undefined) sql += ` LIMIT ${limit ?? this.dialect.noLimit}${offset === undefined ? "" : ` OFFSET ${offset}`}`;
    return sql;
  }

  /** `*` and `alias.*` in the SELECT list: every column of the FROM items, in order. */
  #star(val: Node, scope: Scope): Expr[] | undefined {
    const fields = val["ColumnRef"]?.["fields"] as Node[] | undefined;
    if (fields === undefined || !("A_Star" in (fields.at(-1) ?? {}))) return undefined;
    const qualifier = fields.length > 1 ? String(fields[0]!["String"]["sval"]) : undefined;
    const items = scope.items.filter((item) => qualifier === undefined || item.alias === qualifier);
    if (items.length === 0) throw invalidQuery(`no table named '${String(qualifier)}' in FROM`);
    return items.flatMap((item) => item.columns.map((c) => columnExpr(item, c)));
  }

  /** One item of FROM as SQL; registers its columns in the scope. */
  #fromItem(node: Node, scope: Scope, ctes: Ctes): string {
    const [kind, body] = Object.entries(node)[0] as [string, Node];
    switch (kind) {
      case "RangeVar": {
        const name = String(body["relname"]);
        const schema = body["schemaname"] === undefined ? undefined : String(body["schemaname"]);
        const alias = body["alias"]?.["aliasname"] === undefined ? name : String(body["alias"]["aliasname"]);
        const { sqlName, columns } = this.#table(schema, name, ctes);
        scope.items.push({ alias, columns });
        return `${sqlName} AS ${sqlIdentifier(alias)}`;
      }
      case "RangeSubselect": {
        if (body["lateral"] === true) throw invalidQuery("LATERAL subqueries are not supported");
        const inner = body["subquery"]["SelectStmt"] as Node;
        const translated = this.select(inner, undefined, ctes);
        // DataFusion lets an unaliased subquery keep the alias of its only table (the CLI's count query relies on it).
        const innerFrom = (inner["fromClause"] ?? []) as Node[];
        const innerAlias = innerFrom.length === 1 ? innerFrom[0]!["RangeVar"]?.["alias"]?.["aliasname"] : undefined;
        const alias = String(body["alias"]?.["aliasname"] ?? innerAlias ?? `subquery_${++this.#anonymous}`);
        scope.items.push({ alias, columns: translated.columns });
        return `(${translated.sql}) AS ${sqlIdentifier(alias)}`;
      }
      case "JoinExpr": {
        const start = scope.items.length;
        const left = this.#fromItem(body["larg"], scope, ctes);
        const middle = scope.items.length;
        const right = this.#fromItem(body["rarg"], scope, ctes);
        const type = { JOIN_INNER: "JOIN", JOIN_LEFT: "LEFT JOIN", JOIN_RIGHT: "RIGHT JOIN", JOIN_FULL: "FULL JOIN" }[String(body["jointype"])];
        if (type === undefined) throw invalidQuery(`${String(body["jointype"])} is not supported`);
        // The side an outer join may find no match on has NULLs in every column.
        if (type === "LEFT JOIN" || type === "FULL JOIN") nullableFrom(scope, middle, scope.items.length);
        if (type === "RIGHT JOIN" || type === "FULL JOIN") nullableFrom(scope, start, middle);
        const natural = body["isNatural"] === true ? "NATURAL " : "";
        let on = "";
        if (body["quals"] !== undefined) on = ` ON ${translateExpr(body["quals"], this.#context(scope, ctes, undefined)).sql}`;
        else if (body["usingClause"] !== undefined) on = ` USING (${(body["usingClause"] as Node[]).map((u) => sqlIdentifier(String(u["String"]["sval"]))).join(", ")})`;
        else if (natural === "" && type === "JOIN") return `${left} CROSS JOIN ${right}`;
        return `${left} ${natural}${type} ${right}${on}`;
      }
      default:
        throw invalidQuery(`this kind of FROM item is not supported: ${kind}`);
    }
  }

  #table(schema: string | undefined, name: string, ctes: Ctes): { sqlName: string; columns: readonly ColumnDef[] } {
    if (schema === "information_schema") {
      const columns = INFORMATION_SCHEMA.get(name);
      if (columns !== undefined) return { sqlName: this.dialect.table(name, "information_schema"), columns };
    } else if (schema === undefined || schema === "public") {
      const cte = schema === undefined ? ctes.get(name) : undefined;
      if (cte !== undefined) return { sqlName: sqlIdentifier(name), columns: cte };
      const columns = SYSTEM_TABLES.get(name);
      if (columns !== undefined) return { sqlName: this.dialect.table(name, "public"), columns: this.#computed(name, columns) };
    }
    throw invalidQuery(`table '${schema === undefined ? name : `${schema}.${name}`}' not found`);
  }

  /** A system table's columns, with those this backend computes after reading marked. */
  #computed(table: string, columns: readonly ColumnDef[]): readonly ColumnDef[] {
    const computed = this.dialect.computed?.get(table);
    if (computed === undefined) return columns;
    return columns.map((c) => {
      const by = computed.get(c.name);
      return by === undefined ? c : { ...c, computedBy: by.computedBy };
    });
  }

  #context(scope: Scope, ctes: Ctes, outputs: ReadonlyMap<string, Expr> | undefined): ExprContext {
    return {
      now: this.now,
      dialect: this.dialect,
      ...(outputs === undefined ? {} : { outputs }),
      resolveColumn: (fields) => resolve(scope, fields, false),
      subquery: (select) => this.select(select["SelectStmt"], scope, ctes),
      functionCall,
    };
  }
}

/**
 * A column reference, looked up in the scope and then in the enclosing ones (correlated subqueries). A
 * column the reader computes resolves only where it is selected as it is (`selected`).
 */
function resolve(scope: Scope, fields: readonly string[], selected: boolean): Expr {
  const [qualifier, name] = fields.length === 1 ? [undefined, fields[0]!] : [fields.at(-2)!, fields.at(-1)!];
  for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) {
    const matches = s.items.filter((item) => (qualifier === undefined || item.alias === qualifier) && item.columns.some((c) => c.name === name));
    if (matches.length > 1 && qualifier === undefined) throw invalidQuery(`column reference '${name}' is ambiguous: qualify it with a table alias`);
    const item = matches[0];
    if (item === undefined) continue;
    const column = item.columns.find((c) => c.name === name)!;
    if (column.computedBy !== undefined && !selected) throw computedColumnRefused(name);
    return columnExpr(item, column);
  }
  throw invalidQuery(`column '${fields.join(".")}' not found`);
}

/** A column of a FROM item: named by itself, displayed with its table inside expressions (`inv.id`). */
function columnExpr(item: FromItem, column: ColumnDef): Expr {
  const prefix = item.alias === "" ? "" : `${sqlIdentifier(item.alias)}.`;
  return {
    sql: `${prefix}${sqlIdentifier(column.name)}`,
    type: column.type,
    name: column.name,
    display: item.alias === "" ? column.name : `${item.alias}.${column.name}`,
    nullable: column.nullable !== false,
    ...(column.computedBy === undefined ? {} : { computedBy: column.computedBy }),
  };
}

/** A result column as the reader and the encoders see it. */
function outputColumn(o: Expr): ColumnDef {
  const column = { name: o.name, type: o.type, nullable: o.nullable };
  return o.computedBy === undefined ? column : { ...column, computedBy: o.computedBy };
}

/** The names of a plain column reference (`a.b`), or undefined for anything else (`*` included). */
function columnFields(node: Node): string[] | undefined {
  const fields = node["ColumnRef"]?.["fields"] as Node[] | undefined;
  if (fields === undefined || fields.some((f) => !("String" in f))) return undefined;
  return fields.map((f) => String(f["String"]["sval"]));
}

function computedColumnRefused(name: string): QueryError {
  return invalidQuery(
    `column '${name}' is decoded by stet after the rows are read on this store: select it as it is, without filtering, sorting, grouping or computing on it`,
  );
}

/** Marks every column of the FROM items in [from, to) as possibly NULL. */
function nullableFrom(scope: Scope, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const item = scope.items[i]!;
    scope.items[i] = { alias: item.alias, columns: item.columns.map((c) => ({ ...c, nullable: true })) };
  }
}
