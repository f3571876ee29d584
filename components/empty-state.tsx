export function EmptyState({ title, children, testId }: { title: string; children: React.ReactNode; testId?: string }) {
  return (
    <div className="empty" data-testid={testId ?? "empty-state"}>
      <strong>{title}</strong>
      {children}
    </div>
  );
}
