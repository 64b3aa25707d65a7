/**
 * Checks HTTP exchanges against an OpenAPI 3.1 document: the request's path,
 * query and body against the operation's parameters and request body, and the
 * response's status, content type and body against the operation's responses.
 * Runs in workerd and in Node (`@cfworker/json-schema` compiles nothing at runtime).
 */
import { Validator, type Schema } from "@cfworker/json-schema";

type Json = Record<string, any>;
export type OpenApiDocument = Json & { paths: Record<string, Record<string, Json>>; components?: { schemas?: Record<string, Json> } };

export interface Exchange {
  method: string;
  url: string;
  requestType?: string | null;
  requestBody?: string | undefined;
  status: number;
  responseType: string | null;
  responseBody: string;
}

/**
 * The document with every described object closed (`additionalProperties: false`
 * where it says nothing): checked against it, an answer with a field the document
 * does not describe fails, which the open document lets through.
 */
export function closed(doc: OpenApiDocument): OpenApiDocument {
  const close = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(close);
    if (!value || typeof value !== "object") return value;
    const out: Json = Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, close(inner)]));
    if (out.type === "object" && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
    return out;
  };
  return close(doc) as OpenApiDocument;
}

const mediaType = (type: string | null | undefined) => (type ?? "").split(";")[0]!.trim().toLowerCase();

export function openApiChecker(doc: OpenApiDocument) {
  const cache = new Map<unknown, Validator>();
  /** A validator for a schema of the document; its `#/components/schemas/…` refs resolve to `$defs`. */
  const validatorFor = (schema: Json) => {
    let validator = cache.get(schema);
    if (!validator) {
      const rooted = JSON.parse(JSON.stringify({ ...schema, $defs: doc.components?.schemas ?? {} }).replaceAll('"#/components/schemas/', '"#/$defs/'));
      validator = new Validator(rooted as Schema, "2020-12", false);
      cache.set(schema, validator);
    }
    return validator;
  };
  const check = (schema: Json | undefined, value: unknown, what: string, problems: string[]) => {
    if (!schema) return;
    const result = validatorFor(schema).validate(value);
    if (!result.valid) problems.push(`${what}: ${result.errors.map((e) => `${e.instanceLocation} ${e.error}`).slice(-3).join("; ")}`);
  };

  /** The operation of the document that `method` and `path` reach, with its path parameters. */
  function operation(method: string, path: string): { template: string; op: Json; params: Record<string, string> } | undefined {
    for (const [template, item] of Object.entries(doc.paths)) {
      const names: string[] = [];
      const pattern = new RegExp(`^${template.replace(/\{(\w+)\}/g, (_, name: string) => (names.push(name), "([^/]+)"))}$`);
      const match = pattern.exec(path);
      const op = item[method.toLowerCase()];
      if (match && op) return { template, op, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)])) };
    }
    return undefined;
  }

  /** What is wrong with the exchange, by the document; empty when nothing. */
  function problems(exchange: Exchange): string[] {
    const url = new URL(exchange.url);
    const found = operation(exchange.method, url.pathname);
    if (!found) return [`${exchange.method} ${url.pathname}: no such operation`];
    const { op, params } = found;
    const out: string[] = [];
    const parameters: Json[] = op.parameters ?? [];
    for (const p of parameters) {
      if (p.in === "path") check(p.schema, params[p.name], `path parameter ${p.name}`, out);
      if (p.in === "query") {
        const values = url.searchParams.getAll(p.name);
        if (values.length === 0) {
          if (p.required) out.push(`query parameter ${p.name} is required`);
          continue;
        }
        const type = p.schema?.type;
        const value = type === "array" ? values : type === "integer" || type === "number" ? Number(values[0]) : values[0];
        check(p.schema, value, `query parameter ${p.name}`, out);
      }
    }
    for (const key of url.searchParams.keys()) {
      if (!parameters.some((p) => p.in === "query" && p.name === key)) out.push(`query parameter ${key} is not described`);
    }
    if (exchange.requestBody) {
      const content = op.requestBody?.content?.[mediaType(exchange.requestType)];
      if (!content) out.push(`request body of type ${mediaType(exchange.requestType) || "(none)"} is not described`);
      else if (mediaType(exchange.requestType).endsWith("json")) {
        let value: unknown;
        try {
          value = JSON.parse(exchange.requestBody);
        } catch {
          out.push("request body is not JSON");
        }
        if (value !== undefined) check(content.schema, value, "request body", out);
      }
    } else if (op.requestBody?.required) out.push("the request body is required");

    const response = op.responses?.[String(exchange.status)];
    if (!response) return [...out, `status ${exchange.status} is not described`];
    const type = mediaType(exchange.responseType);
    const content = response.content?.[type];
    if (!content) out.push(`response of type ${type} is not described for ${exchange.status}`);
    else if (type.endsWith("json")) check(content.schema, JSON.parse(exchange.responseBody), `response body (${exchange.status})`, out);
    return out;
  }

  return { operation, problems, validatorFor };
}
