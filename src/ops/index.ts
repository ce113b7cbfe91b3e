/** Registers every op family (import for side effects). One line per family file. */
import './elementwise.js';
import './shape.js';
import './indexing.js';
import './random.js';
import './reduce.js';
import './softmax.js';
import './losses.js';
import './batchnorm.js';
import './matmul.js';
import './conv.js';
import './pool.js';
import './projection.js';
import './projection-l2.js';
