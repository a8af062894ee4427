(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "mix") (param i32 i64 f32 f64) (result f64 i64 i32)
    (f64.add (f64.promote_f32 (local.get 2)) (local.get 3))
    (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1))
    (i32.sub (i32.const 0) (local.get 0))))
