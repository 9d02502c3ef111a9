/**
 * Routing between the nodes of a cluster: every node announces where it answers (NodeAnnouncer),
 * knows which node leads each partition (LeaderMap), and passes a request for a partition another node
 * leads on to that node (RequestForwarder, wired into ingress and admin through forwardingErrorHandler).
 */
export { FORWARDED_HEADER, PART_HEADER, RequestForwarder, forwardingErrorHandler, keepRawBodies, type LeaderAnswer, type LeaderRequest } from "./forwarder.js";
export { forwardingOf, type ForwardedApi, type ForwardedRequest, type ForwardOutcome, type ForwardingTarget } from "./forwarded-request.js";
export { LeaderMap, type LeaderSource } from "./leader-map.js";
export { NodeAnnouncer, type NodeRoster } from "./node-announcer.js";
export { ForwardStoppedError, LeaderUnreachableError, ROUTING_ERROR_CODES, RoutingArgumentError } from "./routing-errors.js";
