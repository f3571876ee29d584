"use client";
import { useState } from "react";
import { CompleteForm, type CompletableOrder } from "../complete-form";

/** The detail page's "Complete…" button and form. */
export function CompleteOnPage({ row, canEditConstants }: { row: CompletableOrder; canEditConstants: boolean }) {
  const [isOpen, setIsOpen] = useState(false);
  return isOpen ? (
    <CompleteForm row={row} canEditConstants={canEditConstants} onDone={() => setIsOpen(false)} />
  ) : (
    <button type="button" className="primary" data-testid="wo-complete-open" onClick={() => setIsOpen(true)}>
      Complete…
    </button>
  );
}
