(module
  (import "lib" "add" (func $add (param i32 i32) (result i32)))
  (import "lib" "memory" (memory 1))
  (import "lib" "g_i32" (global $g (mut i32)))
  (import "lib" "table" (table 1 funcref))
  (func (export "run") (param i32) (result i32)
    (global.set $g (call $add (local.get 0) (global.get $g)))
    (i32.store (i32.const 8) (global.get $g))
    (i32.load (i32.const 8))))