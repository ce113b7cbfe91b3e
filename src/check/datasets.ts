/** What the checker needs to know about each dataset: the per-example input shape and the class count. */
import type { DatasetName, Shape } from './resolved.js';

export interface DatasetInfo {
  inputShape: Shape;
  classes: number;
  trainSize: number;
  testSize: number;
}

export const datasets: Record<DatasetName, DatasetInfo> = {
  fashion_mnist: { inputShape: [1, 28, 28], classes: 10, trainSize: 60000, testSize: 10000 },
  mnist: { inputShape: [1, 28, 28], classes: 10, trainSize: 60000, testSize: 10000 },
  cifar10: { inputShape: [3, 32, 32], classes: 10, trainSize: 50000, testSize: 10000 },
  cifar100: { inputShape: [3, 32, 32], classes: 100, trainSize: 50000, testSize: 10000 },
  svhn: { inputShape: [3, 32, 32], classes: 10, trainSize: 73257, testSize: 26032 },
};

export function isDatasetName(name: string): name is DatasetName {
  return Object.hasOwn(datasets, name);
}
