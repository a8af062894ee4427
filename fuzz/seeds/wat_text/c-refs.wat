(module
  (import "env" "divmod" (func $divmod (param i32 i32) (result i32 i32)))
  (import "env" "lookup" (func $lookup (param externref) (result i64)))
  (func (export "divmod") (param i32 i32) (result i32 i32) (call $divmod (local.get 0) (local.get 1)))
  (func (export "keep") (param externref) (result externref) (local.get 0))
  (func (export "lookup") (param externref) (result i64) (call $lookup (local.get 0)))
  (func $square (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (elem declare func $square)
  (func (export "get_square") (result funcref) (ref.func $square)))
