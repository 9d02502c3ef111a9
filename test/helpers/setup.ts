// The official Restate SDK uses Promise.withResolvers, which Node 20 lacks.
import "../../sdk/polyfills.js";
