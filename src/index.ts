/**
 * The Worker: the HTTP API in front, and the WorkflowInstance Durable Object class.
 */
import { workflows } from "../workflows/index.js";
import { createApp } from "./api/app.js";

export { WorkflowInstance } from "./instance/object.js";
export default createApp(workflows);
