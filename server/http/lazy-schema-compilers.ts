import AjvCompiler, { type BuildCompilerFromPool } from "@fastify/ajv-compiler";
import type { FastifyServerOptions } from "fastify";

type SchemaControllerOptions = NonNullable<FastifyServerOptions["schemaController"]>;

interface ValidateFunction {
  (data: unknown): unknown;
  errors?: unknown;
}
/** What fastify passes to a validator compiler for one part (body, params, …) of one route. */
type RouteSchema = Parameters<ReturnType<BuildCompilerFromPool>>[0];
type ValidatorCompiler = (route: RouteSchema) => ValidateFunction;

/**
 * Fastify's own validator compiler (ajv, with fastify's defaults: type coercion, defaults, error
 * messages), but each route's schema is compiled on the route's first request instead of while the app
 * starts. Compiling the admin API's schemas (and ajv's meta-schema) took ~50 ms of a ~300 ms startup;
 * the first request to a route pays its own few milliseconds instead.
 */
export function lazySchemaController(): SchemaControllerOptions {
  const buildValidator = (...args: Parameters<BuildCompilerFromPool>): ValidatorCompiler => {
    let compiler: ValidatorCompiler | undefined;
    return (route) =>
      lazyValidator(() => {
        compiler ??= AjvCompiler()(...args) as unknown as ValidatorCompiler;
        return compiler(route);
      });
  };
  // fastify's type for the factory is ajv's full ValidateFunction; fastify itself only calls it and reads `errors`.
  return { compilersFactory: { buildValidator: buildValidator as unknown as BuildCompilerFromPool } };
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
