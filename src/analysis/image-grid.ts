/**
 * Training images inline in HTML, without a PNG encoder: each image is an SVG of 1x1 rects (grey
 * or RGB) with its label and loss underneath. 28x28 images make ~800 rects, fine for a few dozen.
 */
import { escapeXml } from '../report/svg-chart.js';

export function imageSvg(pixels: Float32Array, channels: number, height: number, width: number, scale = 3): string {
  const rects: string[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = (c: number) => Math.round(255 * Math.min(1, Math.max(0, pixels[(c * height + y) * width + x]!)));
      const [r, g, b] = channels >= 3 ? [v(0), v(1), v(2)] : [v(0), v(0), v(0)];
      rects.push(`<rect x="${x}" y="${y}" width="1" height="1" fill="rgb(${r},${g},${b})"/>`);
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width * scale}" height="${height * scale}" viewBox="0 0 ${width} ${height}" shape-rendering="crispEdges">${rects.join('')}</svg>`;
}

export interface Captioned {
  svg: string;
  caption: string;
}

export function imageGridHtml(title: string, items: readonly Captioned[]): string {
  const cells = items.map((i) => `<figure style="display:inline-block;margin:4px;text-align:center;font:11px sans-serif">${i.svg}<figcaption>${escapeXml(i.caption)}</figcaption></figure>`).join('\n');
  return `<h2>${escapeXml(title)}</h2>\n<div>${cells}</div>`;
}
