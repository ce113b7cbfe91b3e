/** Registers every op family (import for side effects). One line per family file. */
import './elementwise.js';
