(module (import "host" "cb0" (func $cb0)) (memory (export "memory") 1)
  (func $s (call $cb0)) (start $s) (func (export "again") (call $cb0)))