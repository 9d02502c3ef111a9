import { createRequire } from "node:module";
import type { BuildCompilerFromPool } from "@fastify/ajv-compiler";
import type { FastifyServerOptions } from "fastify";

type SchemaControllerOptions = NonNullable<FastifyServerOptions["schemaController"]>;
type CompilersFactory = NonNullable<SchemaControllerOptions["compilersFactory"]>;

interface ValidateFunction {
  (data: unknown): unknown;
  errors?: unknown;
}
/** What fastify passes to a validator compiler for one part (body, params, …) of one route. */
type RouteSchema = Parameters<ReturnType<BuildCompilerFromPool>>[0];
type ValidatorCompiler = (route: RouteSchema) => ValidateFunction;
type Serialize = (data: unknown) => string;
type SerializerCompiler = (route: unknown) => Serialize;
type CompilerFactory<C> = (...args: unknown[]) => C;

// fastify's own compilers (ajv for validation, fast-json-stringify for response schemas) are ~150
// modules that a start never needs: they are required on a route's first request instead of when the
// module graph loads (a plain `import` would load them, and fastify loads its defaults when none is given).
const requireOnUse = createRequire(import.meta.url);
const ajvCompiler = (): (() => CompilerFactory<ValidatorCompiler>) =>
  requireOnUse("@fastify/ajv-compiler") as () => CompilerFactory<ValidatorCompiler>;
const serializerCompiler = (): (() => CompilerFactory<SerializerCompiler>) =>
  requireOnUse("@fastify/fast-json-stringify-compiler") as () => CompilerFactory<SerializerCompiler>;

/**
 * Fastify's own validator and serializer compilers (with fastify's defaults: type coercion, defaults,
 * ajv's error messages), but each route's schema is compiled on the route's first request instead of
 * while the app starts. Compiling the admin API's schemas (and ajv's meta-schema) took ~50 ms of a
 * ~300 ms startup; the first request to a route pays its own few milliseconds instead.
 */
export function lazySchemaController(): SchemaControllerOptions {
  const buildValidator = (...args: unknown[]): ValidatorCompiler => {
    let compiler: ValidatorCompiler | undefined;
    return (route) =>
      lazyValidator(() => {
        compiler ??= ajvCompiler()()(...args);
        return compiler(route);
      });
  };
  const buildSerializer = (...args: unknown[]): SerializerCompiler => {
    let compiler: SerializerCompiler | undefined;
    return (route) => {
      let serialize: Serialize | undefined;
      return (data) => {
        serialize ??= (compiler ??= serializerCompiler()()(...args))(route);
        return serialize(data);
      };
    };
  };
  // fastify types the factories with ajv's and fast-json-stringify's full function types; fastify itself
  // only calls what they return (and reads `errors` off a validator).
  return { compilersFactory: { buildValidator, buildSerializer } as unknown as CompilersFactory };
}

/** A validator that compiles on its first call; fastify reads `errors` off it after a failed call. */
function lazyValidator(compile: () => ValidateFunction): ValidateFunction {
  let compiled: ValidateFunction | undefined;
  const validate: ValidateFunction = (data) => {
    compiled ??= compile();
    const result = compiled(data);
    validate.errors = compiled.errors;
    return result;
  };
  return validate;
}
