import { makeDataset, type Dataset } from '../../src/data/index.js';

/** An in-memory dataset whose every pixel encodes (example, channel, row, column), for exact checks. */
export function syntheticDataset(n: number, c = 3, h = 4, w = 5, classes = 10): Dataset {
  const images = new Float32Array(n * c * h * w);
  for (let i = 0; i < images.length; i++) images[i] = i / images.length;
  const labels = Int32Array.from({ length: n }, (_, i) => i % classes);
  return makeDataset({ name: 'synthetic', images, labels, channels: c, height: h, width: w, classes });
}

