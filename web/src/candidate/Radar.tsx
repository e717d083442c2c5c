// The own scores as a radar chart (SVG, drawn here: no chart library, no CDN).
import type { Language } from "./i18n";

interface Axis {
  key: string;
  labelZh: string;
  labelEn: string;
  value: number | null;
}

const SIZE = 260;
const CENTRE = SIZE / 2;
const RADIUS = 90;
const LABEL_ROOM = 70; // each side, for labels such as "Risk Awareness" beside the outermost ring

function point(index: number, count: number, fraction: number): [number, number] {
  const angle = -Math.PI / 2 + (2 * Math.PI * index) / count;
  return [CENTRE + RADIUS * fraction * Math.cos(angle), CENTRE + RADIUS * fraction * Math.sin(angle)];
}

export function Radar({ axes, language, label }: { axes: Axis[]; language: Language; label: string }) {
  if (axes.length < 3) return null; // a radar needs three axes; the table above shows the scores
  const count = axes.length;
  const outline = (fraction: number) =>
    axes.map((_, index) => point(index, count, fraction).join(",")).join(" ");
  const values = axes.map((axis, index) => point(index, count, Math.max(0, Math.min(100, axis.value ?? 0)) / 100));
  return (
    <svg className="radar" viewBox={`${-LABEL_ROOM} 0 ${SIZE + 2 * LABEL_ROOM} ${SIZE}`} role="img" aria-label={label}>
      {[0.25, 0.5, 0.75, 1].map((fraction) => (
        <polygon key={fraction} points={outline(fraction)} className="radar-grid" />
      ))}
      <polygon points={values.map((p) => p.join(",")).join(" ")} className="radar-value" />
      {axes.map((axis, index) => {
        const [x, y] = point(index, count, 1.22);
        return (
          <text key={axis.key} x={x} y={y} textAnchor="middle" dominantBaseline="middle" className="radar-label">
            {language === "zh" ? axis.labelZh : axis.labelEn}
          </text>
        );
      })}
    </svg>
  );
}
