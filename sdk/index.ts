// The public face of stet's SDK. Nothing here may import from server/.
export {
  IngressClient,
  IngressError,
  type CallOptions,
  type CallResult,
  type IngressClientOptions,
  type RequestOptions,
  type SendOptions,
  type SendResult,
  type SendStatus,
  type Target,
} from "./ingress-client.js";
