/**
 * The registry: every workflow this deployment can run. Add a workflow by adding
 * its file here. Removing one does not fail its open instances: they wait, showing
 * WORKFLOW_NOT_REGISTERED, and go on by themselves once a deployment registers it again.
 */
import { registry } from "../src/workflow.js";
import agentReview from "./agent-review.js";
import approval from "./approval.js";
import customerSync from "./customer-sync.js";
import nightlyReport from "./nightly-report.js";
import orderFulfilment from "./order-fulfilment.js";
import orderSaga from "./order-saga.js";
import regionalReport from "./regional-report.js";
import shippingQuotes from "./shipping-quotes.js";

export const workflows = registry(
  orderFulfilment,
  approval,
  shippingQuotes,
  agentReview,
  nightlyReport,
  regionalReport,
  customerSync,
  orderSaga,
);
