/**
 * Workflows written as Cloudflare's documentation writes them: classes extending
 * WorkflowEntrypoint, bindings on `this.env`, params on `event.payload`. The import
 * lines are the only change from a Cloudflare project; test/fixtures/worker.ts
 * registers them by name, as workflows/index.ts would.
 */
import { WorkflowEntrypoint, WorkflowEvent, WorkflowStep } from "../../src/cloudflare";
import { NonRetryableError } from "../../src/cloudflare";

type Env = {
  // A service binding, as a Cloudflare Worker would bind an AI gateway or an internal API.
  MODEL: Fetcher;
};

type SignupParams = {
  email: string;
  plan: "free" | "pro";
};

export class SignupWorkflow extends WorkflowEntrypoint<Env, SignupParams> {
  async run(event: WorkflowEvent<SignupParams>, step: WorkflowStep) {
    const account = await step.do("create account", async () => {
      if (!event.payload.email.includes("@")) throw new NonRetryableError("not an email address");
      return { accountId: `acct-${event.instanceId}`, plan: event.payload.plan };
    });

    const welcome = await step.do(
      "draft welcome message",
      {
        retries: { limit: 3, delay: "1 second", backoff: "exponential" },
        timeout: "30 seconds",
      },
      async () => {
        const response = await this.env.MODEL.fetch("https://model.internal/draft", {
          method: "POST",
          body: JSON.stringify({ prompt: `Welcome ${event.payload.email} to the ${account.plan} plan` }),
        });
        const { text } = await response.json<{ text: string }>();
        return text;
      },
    );

    await step.sleep("give them a moment", "1 second");

    const sent = await step.do("send welcome email", async () => {
      this.ctx.waitUntil(Promise.resolve("delivery receipt logged"));
      return { to: event.payload.email, length: welcome.length };
    });

    return {
      accountId: account.accountId,
      sent,
      workflow: event.workflowName,
      instance: event.instanceId,
      startedBeforeNow: event.timestamp instanceof Date && event.timestamp.getTime() <= Date.now(),
    };
  }
}

type ApprovalParams = { document: string };

export class ApprovalWorkflow extends WorkflowEntrypoint<Env, ApprovalParams> {
  async run(event: WorkflowEvent<ApprovalParams>, step: WorkflowStep) {
    await step.do("request review", async () => {
      return { requested: event.payload.document };
    });

    const decision = await step.waitForEvent<{ approved: boolean; by: string }>("wait for a reviewer", {
      type: "review",
      timeout: "1 hour",
    });

    if (!decision.payload.approved) {
      return { document: event.payload.document, published: false, reviewer: decision.payload.by };
    }

    const url = await step.do("publish", async () => {
      return `https://docs.example.com/${event.payload.document}`;
    });
    return { document: event.payload.document, published: true, url, reviewer: decision.payload.by };
  }
}

type PaymentParams = { orderId: string; card: string; amount: number };

export class PaymentWorkflow extends WorkflowEntrypoint<Env, PaymentParams> {
  async run(event: WorkflowEvent<PaymentParams>, step: WorkflowStep) {
    const charge = await step.do("charge card", { retries: { limit: 5, delay: 10, backoff: "constant" } }, async () => {
      if (event.payload.card === "declined") {
        // Retrying cannot help a declined card: fail the instance at once.
        throw new NonRetryableError(`card for order ${event.payload.orderId} was declined`);
      }
      return { chargeId: `ch-${event.payload.orderId}`, amount: event.payload.amount };
    });

    return { orderId: event.payload.orderId, charge };
  }
}

/** A step that fails its first attempts, as a flaky upstream would. */
export class FlakyUpstreamWorkflow extends WorkflowEntrypoint<Env, { failures: number }> {
  async run(event: WorkflowEvent<{ failures: number }>, step: WorkflowStep) {
    return step.do("call upstream", { retries: { limit: 3, delay: 20, backoff: "linear" } }, async (ctx) => {
      if (ctx.attempt <= event.payload.failures) throw new Error(`upstream unavailable (attempt ${ctx.attempt})`);
      return { attempt: ctx.attempt, step: ctx.step.name };
    });
  }
}

/** Sleeps for a long time between two steps: the instance to pause, resume, restart and terminate. */
export class ReminderWorkflow extends WorkflowEntrypoint<Env, { note: string }> {
  private readonly label: string;

  constructor(ctx: ExecutionContext, env: Env) {
    super(ctx, env);
    this.label = "reminder";
  }

  async run(event: WorkflowEvent<{ note: string }>, step: WorkflowStep) {
    const scheduled = await step.do("schedule reminder", async () => ({ note: event.payload.note, label: this.label }));
    await step.sleep("wait until the reminder is due", "1 day");
    await step.do("send reminder", async () => ({ sent: scheduled.note }));
    return { reminded: scheduled.note };
  }
}

/** Params, step results and output that JSON cannot hold: a Date, a Map, a BigInt. */
export class LedgerWorkflow extends WorkflowEntrypoint<Env, { since: Date }> {
  async run(event: WorkflowEvent<{ since: Date }>, step: WorkflowStep) {
    const totals = await step.do("total", async () => new Map([["eur", 2n ** 60n]]));
    return { since: event.payload.since, closedAt: new Date(event.payload.since.getTime() + 86_400_000), totals };
  }
}

/** The registration, as workflows/index.ts writes it: each class under its workflow name. */
export const cloudflareWorkflows = {
  "cf-signup": SignupWorkflow,
  "cf-approval": ApprovalWorkflow,
  "cf-payment": PaymentWorkflow,
  "cf-flaky-upstream": FlakyUpstreamWorkflow,
  "cf-reminder": ReminderWorkflow,
  "cf-ledger": LedgerWorkflow,
};
