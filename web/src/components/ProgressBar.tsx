import { formatCount, formatDuration, formatRate } from '../format.ts';

interface Props {
  label: string;
  done: number;
  total: number;
  percent: number;
  pointsPerSecond?: number | null;
  etaSeconds?: number | null;
  live?: boolean;
}

/** A labelled progress bar with points, rate and ETA underneath. */
export function ProgressBar({ label, done, total, percent, pointsPerSecond = null, etaSeconds = null, live = false }: Props) {
  return (
    <div className="progress">
      <progress aria-label={label} max={100} value={percent} />
      <div className="progress-text">
        <span>
          {formatCount(done)} / {formatCount(total)} points ({percent.toFixed(percent % 1 ? 1 : 0)}%)
        </span>
        {live && (
          <span className="muted">
            {formatRate(pointsPerSecond)} · ETA {formatDuration(etaSeconds)}
          </span>
        )}
      </div>
    </div>
  );
}
