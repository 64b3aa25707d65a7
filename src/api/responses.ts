/**
 * What the API answers, as zod schemas: the source of the OpenAPI document's
 * response schemas and of the typed client's result types. The API builds its
 * answers from the Durable Object's views; the type checks at the end of this file
 * keep these schemas and those views from drifting apart.
 *
 * Each schema is built on first use (`once`, src/lib/once.ts), by the first request
 * that needs it: a Durable Object waking in a fresh isolate builds none of them.
 */
import { z } from "zod";
import { STEP_KINDS, STEP_STATUSES, STATUSES, type ErrorRecord as ErrorRecordView, type WaitingFor as WaitingForView } from "../engine/index.js";
import type { InstanceListItem } from "../index-db/queries.js";
import { HTTP_CODES } from "../lib/codes.js";
import { once } from "../lib/once.js";
import type { Same } from "../lib/same.js";
import type { InstanceSummary, InstanceView, StepsPage, StepView } from "../instance/rpc.js";

const time = once(() => z.string().meta({ format: "date-time", description: "ISO 8601 time (UTC)" }));

export const Status = once(() => z.enum(STATUSES).meta({ id: "Status", description: "An instance's status" }));

export const FieldError = once(() => z.object({ path: z.string(), message: z.string() }).meta({ id: "FieldError" }));

export const Problem = once(() =>
  z
    .object({
      type: z.string(),
      title: z.string(),
      status: z.number().int(),
      detail: z.string().meta({ description: "What happened, why, and what to do" }),
      code: z.enum(HTTP_CODES).meta({ description: "Stable code to branch on; the README's table of codes says what each means" }),
      errors: z.array(FieldError()).optional().meta({ description: "422 only: each field at fault" }),
      currentStatus: Status().optional().meta({ description: "409 only: the instance's status" }),
    })
    .meta({ id: "Problem", description: "An error, as application/problem+json (RFC 9457)" }),
);

export const ErrorRecord = once(() =>
  z
    .object({
      name: z.string(),
      message: z.string(),
      code: z.string(),
      step: z.object({ name: z.string(), count: z.number().int() }).optional(),
      /** The error this one wraps, e.g. a child workflow's own error. */
      get cause() {
        return ErrorRecord().optional();
      },
    })
    .meta({ id: "InstanceError", description: "An error as the journal keeps it; branch on `code`" }),
);

export const WaitingFor = once(() =>
  z
    .object({
      kind: z.enum(["sleep", "retry", "event", "child", "deployment", "slot", "throttle", "debounce"]),
      until: time().optional(),
      eventType: z.string().optional(),
      step: z.string().optional(),
      childId: z.string().optional().meta({ description: "The child instance waited for (kind `child`)" }),
      code: z.enum(["WORKFLOW_NOT_REGISTERED", "GATE_UNAVAILABLE"]).optional().meta({ description: "Why it waits (kinds `deployment` and `slot`)" }),
      workflow: z.string().optional().meta({ description: "The workflow a deployment must register (kind `deployment`)" }),
      since: time().optional(),
      message: z.string().optional(),
    })
    .meta({
      id: "WaitingFor",
      description:
        "What a waiting instance waits for, and until when. `deployment`: its workflow is not registered in the running deployment; it goes on by itself once it is. Kinds of a queued instance (flow control): `slot`: waits for a concurrency slot (code `GATE_UNAVAILABLE` while the gate cannot be reached); `throttle`: waits for its turn under the throttle, `until` its next permit as estimated; `debounce`: later starts for its key may still replace its input, `until` it starts",
    }),
);

export const Attempt = once(() =>
  z
    .object({ attempt: z.number().int(), startedAt: time(), finishedAt: time(), error: ErrorRecord() })
    .meta({ id: "FailedAttempt" }),
);

export const Step = once(() =>
  z
    .object({
      name: z.string(),
      count: z.number().int().meta({ description: "1 for the first call with this name, 2 for the second, …" }),
      kind: z.enum(STEP_KINDS),
      status: z.enum(STEP_STATUSES),
      attempts: z.number().int(),
      startedAt: time(),
      finishedAt: time().optional(),
      until: time().optional().meta({ description: "Next attempt, wake-up or event timeout" }),
      eventType: z.string().optional(),
      result: z.unknown().optional(),
      sensitive: z.boolean().optional().meta({ description: "The step is configured `sensitive: \"output\"`: its result is left out" }),
      truncated: z
        .object({ bytes: z.number().int(), seq: z.number().int() })
        .optional()
        .meta({ description: "The result is over 64 KiB: left out here; `GET /api/instances/{id}/steps/{seq}` gives it whole" }),
      error: ErrorRecord().optional(),
      failedAttempts: z.array(Attempt()).optional().meta({ description: "Failed attempts, oldest first (the newest 20)" }),
      failedAttemptsTotal: z.number().int().optional().meta({ description: "Failed attempts in all, when there are more than shown" }),
    })
    .meta({ id: "Step" }),
);

const olderSteps = once(() =>
  z
    .object({ before: z.number().int() })
    .optional()
    .meta({ description: "Older steps exist: `GET /api/instances/{id}/steps?before=<before>` pages back through them" }),
);

export const StepsPageSchema = once(() =>
  z
    .object({ steps: z.array(Step()), stepsTotal: z.number().int(), olderSteps: olderSteps() })
    .meta({ id: "StepsPage", description: "A page of an instance's steps, in call order" }),
);

const tags = once(() => z.record(z.string(), z.string()));

export const ForkedFrom = once(() =>
  z
    .object({ id: z.string(), step: z.object({ name: z.string(), count: z.number().int() }).optional() })
    .meta({ id: "ForkedFrom", description: "A fork's origin: the instance it was copied from, and the step the copy stopped before" }),
);

export const Instance = once(() =>
  z
    .object({
      id: z.string(),
      workflow: z.string(),
      status: Status(),
      input: z.unknown().optional(),
      output: z.unknown().optional(),
      error: ErrorRecord().optional(),
      waitingFor: WaitingFor().optional(),
      tags: tags(),
      attributes: tags().optional().meta({ description: "Search attributes, when it has any: declared from the input, and set with `step.setAttributes`" }),
      createdAt: time(),
      updatedAt: time(),
      completedAt: time().optional(),
      parentId: z.string().optional(),
      queue: z
        .object({ position: z.number().int().meta({ description: "1 = next" }), key: z.string() })
        .optional()
        .meta({ description: "Queued behind a concurrency limit: its place in line, and the limit's key" }),
      forkedFrom: ForkedFrom().optional(),
      steps: z.array(Step()).meta({ description: "The newest steps (at most 200), in call order" }),
      stepsTotal: z.number().int().meta({ description: "How many steps the journal holds" }),
      olderSteps: olderSteps(),
    })
    .meta({ id: "Instance", description: "An instance as its Durable Object holds it: the truth" }),
);

export const InstanceSummarySchema = once(() =>
  z
    .object({ id: z.string(), workflow: z.string(), status: Status(), createdAt: time() })
    .meta({ id: "InstanceSummary" }),
);

export const DebouncedStart = once(() =>
  InstanceSummarySchema()
    .extend({
      debounce: z.object({
        until: time().meta({ description: "When the instance starts, unless another start for its key pushes it back" }),
        merged: z.boolean().meta({ description: "True when this start replaced the input of an instance already pending (whose id this is)" }),
      }),
    })
    .meta({ id: "DebouncedStart" }),
);

export const ListItem = once(() =>
  z
    .object({
      id: z.string(),
      workflow: z.string(),
      status: Status(),
      tags: tags(),
      attributes: tags().optional().meta({ description: "Search attributes, when it has any" }),
      error: z.object({ code: z.string(), message: z.string() }).optional(),
      waitingFor: WaitingFor().optional(),
      parentId: z.string().optional(),
      forkedFrom: z.string().optional().meta({ description: "For a fork: the id of the instance it was copied from" }),
      createdAt: time(),
      updatedAt: time(),
      completedAt: time().optional(),
    })
    .meta({ id: "InstanceListItem", description: "An instance's row in the index (may lag the instance by moments)" }),
);

export const InstancePage = once(() =>
  z
    .object({
      instances: z.array(ListItem()),
      nextCursor: z.string().nullable().meta({ description: "Pass as `cursor` for the next page; null on the last page" }),
    })
    .meta({ id: "InstancePage" }),
);

const countsByStatus = once(() => z.object(Object.fromEntries(STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof STATUSES)[number], z.ZodNumber>));

export const Stats = once(() =>
  z
    .object({
      total: z.number().int(),
      byStatus: countsByStatus(),
      byWorkflow: z.record(z.string(), countsByStatus().extend({ total: z.number().int() })),
    })
    .meta({ id: "Stats" }),
);

export const WorkflowList = once(() =>
  z
    .object({
      workflows: z.array(z.object({ name: z.string(), description: z.string().nullable(), version: z.string().nullable() })),
    })
    .meta({ id: "WorkflowList" }),
);

export const EventAccepted = once(() =>
  z
    .object({ accepted: z.literal(true), duplicate: z.boolean().meta({ description: "True when an event with this id was accepted before" }), id: z.string() })
    .meta({ id: "EventAccepted" }),
);

export const LifecycleAnswer = once(() => z.object({ id: z.string(), status: Status() }).meta({ id: "LifecycleAnswer" }));

export const Deleted = once(() => z.object({ id: z.string(), deleted: z.literal(true) }).meta({ id: "Deleted" }));

export const HookAccepted = once(() => z.object({ accepted: z.literal(true), duplicate: z.boolean() }).meta({ id: "HookAccepted" }));

// Compile-time checks, both ways: what the Durable Object and the index answer has
// exactly the fields of these schemas (a field on one side only fails to compile).
export const CHECKED_VIEWS: [
  Same<InstanceView, z.output<ReturnType<typeof Instance>>>,
  Same<StepView, z.output<ReturnType<typeof Step>>>,
  Same<StepsPage, z.output<ReturnType<typeof StepsPageSchema>>>,
  Same<WaitingForView, z.output<ReturnType<typeof WaitingFor>>>,
  Same<ErrorRecordView, z.output<ReturnType<typeof ErrorRecord>>>,
  Same<InstanceSummary, z.output<ReturnType<typeof InstanceSummarySchema>>>,
  Same<InstanceListItem, z.output<ReturnType<typeof ListItem>>>,
] = [true, true, true, true, true, true, true];
