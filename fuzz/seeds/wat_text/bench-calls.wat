;; Module for cases 1-4, 7, 8 and 9 (shared by the C, Rust and Python runners).
(module
  ;; case 3: host -> wasm "roundtrip" -> host "cb" -> wasm -> host
  (import "env" "cb" (func $cb (param i32) (result i32)))
  ;; case 4: an empty host function called from a wasm loop
  (import "env" "nop" (func $nop))
  ;; case 7: a host function that reads and writes 4 KiB of this memory
  (import "env" "mem" (func $mem))
  (memory (export "memory") 1)

  ;; case 1
  (func (export "add") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.add)

  ;; case 2: 4 mixed params, 2 results
  (func (export "mixed") (param i32 i64 f32 f64) (result i64 f64)
    local.get 1 local.get 0 i64.extend_i32_u i64.add
    local.get 3 local.get 2 f64.promote_f32 f64.add)

  ;; case 3
  (func (export "roundtrip") (param i32) (result i32)
    local.get 0 call $cb)

  ;; case 4: calls $nop n times
  (func (export "loop_nop") (param $n i32)
    (block $done
      (loop $l
        local.get $n i32.eqz br_if $done
        call $nop
        local.get $n i32.const 1 i32.sub local.set $n
        br $l)))

  ;; case 7: calls $mem n times
  (func (export "loop_mem") (param $n i32)
    (block $done
      (loop $l
        local.get $n i32.eqz br_if $done
        call $mem
        local.get $n i32.const 1 i32.sub local.set $n
        br $l)))

  ;; calibration: the same loop with no call
  (func (export "loop_empty") (param $n i32)
    (block $done
      (loop $l
        local.get $n i32.eqz br_if $done
        local.get $n i32.const 1 i32.sub local.set $n
        br $l)))
)
