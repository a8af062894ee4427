;; Case 5: a small module to instantiate: 1 memory page, a few funcs, two
;; imports, a global, a table with an element segment and a data segment.
(module
  (import "env" "f1" (func $f1 (param i32) (result i32)))
  (import "env" "f2" (func $f2))
  (memory (export "memory") 1)
  (global $g (export "g") (mut i32) (i32.const 0))
  (table 2 funcref)
  (elem (i32.const 0) $a $b)
  (data (i32.const 16) "hello, world")
  (func $a (export "a") (param i32) (result i32)
    local.get 0 call $f1 global.get $g i32.add)
  (func $b (export "b")
    call $f2
    global.get $g i32.const 1 i32.add global.set $g)
  (func (export "c") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.add)
  (func (export "d") (param i32) (result i32)
    local.get 0 i32.load)
)
