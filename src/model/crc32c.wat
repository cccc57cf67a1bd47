;; CRC32C (Castagnoli, reflected polynomial 0x82F63B78), slicing-by-8, for WebAssembly.
;; Source of src/model/crc32c-wasm.ts (regenerate: node scripts/gen-crc32c-wasm.mjs).
;;
;; Memory: bytes 0..8191 hold the eight 256-entry u32 tables (filled by the host: table k at
;; byte 1024*k); the data to check is copied in from byte 8192 on.
;;
;; crc(start, end, previous) returns the CRC32C of memory[start, end), continuing from
;; `previous` (0 for a fresh CRC), exactly as crc32c() in crc32c.ts does.
(module
  (memory (export "memory") 1)
  (func (export "crc") (param $i i32) (param $end i32) (param $prev i32) (result i32)
    (local $c i32) (local $a i32) (local $b i32)
    (local.set $c (i32.xor (local.get $prev) (i32.const -1)))
    ;; Eight bytes a step: the low four folded into the CRC, all eight looked up at once.
    (block $tail
      (loop $step
        (br_if $tail (i32.lt_s (i32.sub (local.get $end) (local.get $i)) (i32.const 8)))
        (local.set $a (i32.xor (local.get $c) (i32.load (local.get $i))))
        (local.set $b (i32.load offset=4 (local.get $i)))
        (local.set $c
          (i32.xor
            (i32.xor
              (i32.xor
                (i32.load offset=7168 (i32.shl (i32.and (local.get $a) (i32.const 255)) (i32.const 2)))
                (i32.load offset=6144 (i32.shl (i32.and (i32.shr_u (local.get $a) (i32.const 8)) (i32.const 255)) (i32.const 2))))
              (i32.xor
                (i32.load offset=5120 (i32.shl (i32.and (i32.shr_u (local.get $a) (i32.const 16)) (i32.const 255)) (i32.const 2)))
                (i32.load offset=4096 (i32.shl (i32.shr_u (local.get $a) (i32.const 24)) (i32.const 2)))))
            (i32.xor
              (i32.xor
                (i32.load offset=3072 (i32.shl (i32.and (local.get $b) (i32.const 255)) (i32.const 2)))
                (i32.load offset=2048 (i32.shl (i32.and (i32.shr_u (local.get $b) (i32.const 8)) (i32.const 255)) (i32.const 2))))
              (i32.xor
                (i32.load offset=1024 (i32.shl (i32.and (i32.shr_u (local.get $b) (i32.const 16)) (i32.const 255)) (i32.const 2)))
                (i32.load (i32.shl (i32.shr_u (local.get $b) (i32.const 24)) (i32.const 2)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $step)))
    ;; The last 0-7 bytes one at a time.
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $c
          (i32.xor
            (i32.load (i32.shl (i32.and (i32.xor (local.get $c) (i32.load8_u (local.get $i))) (i32.const 255)) (i32.const 2)))
            (i32.shr_u (local.get $c) (i32.const 8))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $byte)))
    (i32.xor (local.get $c) (i32.const -1))))
