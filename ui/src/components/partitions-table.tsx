import type { PartitionLeadership } from "../api/metrics.js";

/**
 * Each partition with its leader and epoch, as the node serving this page reports them: a tile per
 * partition (there may be hundreds), led ones plain, others marked.
 */
export function PartitionsTable(props: { partitions: readonly PartitionLeadership[]; node: string }) {
  if (props.partitions.length === 0) return <p class="empty">This node reports no partitions.</p>;
  const led = props.partitions.filter((p) => p.ledHere).length;
  return (
    <>
      <p class="muted">
        {led} of {props.partitions.length} partitions led by this node ({props.node}), with the epoch of its lease.
      </p>
      <ul class="partitions" id="partitions" aria-label="Partitions">
        {props.partitions.map((p) => (
          <li key={p.partition} class={p.ledHere ? "led" : "not-led"} data-partition={p.partition} title={p.ledHere ? `partition ${p.partition}: led by this node at epoch ${p.epoch}` : `partition ${p.partition}: not led by this node`}>
            <span class="partition-id">{p.partition}</span>
            <span class="partition-leader">{p.ledHere ? `epoch ${p.epoch}` : "not here"}</span>
          </li>
        ))}
      </ul>
    </>
  );
}
