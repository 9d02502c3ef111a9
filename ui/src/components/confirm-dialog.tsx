import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

/**
 * A modal question before a destructive action. The native `<dialog>` traps focus and closes on Escape;
 * the safe answer has the focus, so Enter alone does not destroy anything.
 */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  /** The safe answer's label; default "Keep it". */
  cancelLabel?: string;
  /** Whether confirming destroys something (its button is drawn as dangerous); default true. */
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    if (props.open && !dialog.open) {
      dialog.showModal();
      cancelRef.current?.focus();
    } else if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog ref={ref} class="confirm" aria-labelledby="confirm-title" onCancel={() => props.onCancel()}>
      <h2 id="confirm-title">{props.title}</h2>
      <div>{props.children}</div>
      <div class="actions">
        <button type="button" ref={cancelRef} onClick={() => props.onCancel()}>
          {props.cancelLabel ?? "Keep it"}
        </button>
        <button type="button" class={props.danger === false ? "primary" : "danger"} onClick={() => props.onConfirm()}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
