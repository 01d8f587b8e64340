import { useEffect, useRef, type Dispatch, type SetStateAction } from 'react';
import { Stepper } from '../components/Stepper.tsx';
import { ConnectStep } from './ConnectStep.tsx';
import { MigrateStep } from './MigrateStep.tsx';
import { SchemaStep } from './SchemaStep.tsx';
import { SelectStep } from './SelectStep.tsx';
import type { WizardState } from './state.ts';

/** New migration: connect → select → configure schema → migrate. */
export function Wizard({ state, setState }: { state: WizardState; setState: Dispatch<SetStateAction<WizardState>> }) {
  const patch = (p: Partial<WizardState>) => setState((s) => ({ ...s, ...p }));
  const section = useRef<HTMLElement>(null);
  const first = useRef(true);
  // Keyboard and screen-reader users land on the new step's heading, not on a vanished button.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    section.current?.querySelector<HTMLElement>('h2')?.focus();
  }, [state.step]);
  const go = (step: number) => {
    patch({ step });
    window.scrollTo(0, 0);
  };
  return (
    <section aria-labelledby="wizard-title" ref={section}>
      <h1 id="wizard-title">New migration</h1>
      <Stepper current={state.step} />
      {state.step === 0 && <ConnectStep state={state} patch={patch} onNext={() => go(1)} />}
      {state.step === 1 && <SelectStep state={state} patch={patch} onBack={() => go(0)} onNext={() => go(2)} />}
      {state.step === 2 && <SchemaStep state={state} patch={patch} onBack={() => go(1)} onNext={() => go(3)} />}
      {state.step === 3 && <MigrateStep state={state} patch={patch} onBack={() => go(2)} />}
    </section>
  );
}
