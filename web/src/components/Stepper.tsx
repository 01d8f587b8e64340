const STEPS = ['Connect to Data Source', 'Select Source and Target', 'Configure Schema', 'Migrate'];

/** The wizard's steps; the current one is marked for assistive technology too. */
export function Stepper({ current }: { current: number }) {
  return (
    <ol className="stepper" aria-label="Migration steps">
      {STEPS.map((title, i) => (
        <li key={title} className={i === current ? 'current' : i < current ? 'done' : ''} aria-current={i === current ? 'step' : undefined}>
          <span className="step-number">{i + 1}</span> {title}
        </li>
      ))}
    </ol>
  );
}
