import type { ModelConfig } from './config.js';
import type { Task } from './task.js';
import { ClassificationTask } from './task-classification.js';
import { EmbeddingTask } from './task-embedding.js';
import { RegressionTask } from './task-regression.js';

/** The one place a model config's `task` picks its implementation. */
export function createTask(c: ModelConfig): Task {
  switch (c.task) {
    case 'classification':
      return new ClassificationTask(c.numClasses);
    case 'regression':
      return new RegressionTask(c.targets, c.loss, c.control?.value ?? null);
    case 'embedding':
      return new EmbeddingTask(c.embeddingDim, c.inputDim, c.numClasses, c.seed);
  }
}
