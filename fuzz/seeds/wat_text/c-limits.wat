(module
  (memory 1)
  (func (export "spin") (loop (br 0)))
  (func (export "ok") (result i32) (i32.const 1))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func $rec (export "recurse") (param i32) (result i32)
    (i32.add (call $rec (local.get 0)) (i32.const 1))))
