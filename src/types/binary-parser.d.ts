// binary-parser ships its typings outside its package.json "exports" map, so NodeNext
// resolution cannot see them; re-export them under the module name.
declare module 'binary-parser' {
  export * from 'binary-parser/dist/binary_parser.js';
}
