(module
  (import "env" "log" (func $log (param i32 i32)))
  (import "env" "greet" (func $greet (param i32) (result i32)))
  (memory (export "memory") 1 4)
  (data (i32.const 0) "hello from the guest")
  (func (export "run")
    (call $log (i32.const 0) (i32.const 20))
    (call $log (i32.const 100) (call $greet (i32.const 100)))))
