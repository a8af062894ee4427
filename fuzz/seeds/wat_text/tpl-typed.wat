(module
  (type $t (func (result i32)))
  (func $f (type $t) (i32.const 3))
  (elem declare func $f)
  (func (export "call_ref") (param (ref null $t)) (result i32)
    (if (result i32) (ref.is_null (local.get 0)) (then (i32.const -1))
      (else (call_ref $t (local.get 0)))))
  (func (export "nonnull") (param (ref $t)) (result i32) (call_ref $t (local.get 0)))
  (func (export "make") (result (ref $t)) (ref.func $f)))