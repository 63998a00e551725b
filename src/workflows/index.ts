// The workflow bundle's entry point: every workflow type the worker registers.
export { promptSearch } from './promptSearch';
export { sweep } from './sweep';
