;; CRC32C (Castagnoli, reflected polynomial 0x82F63B78), slicing-by-16, for WebAssembly.
;; Source of src/model/crc32c-wasm.ts (regenerate: node scripts/gen-crc32c-wasm.mjs).
;;
;; Memory: bytes 0..16383 hold the sixteen 256-entry u32 tables (filled by the host: table k at
;; byte 1024*k, table k being the CRC of a byte followed by k zero bytes).
;;
;; Then a 16 KiB index area (scan's output, 4096 record positions), and the data to check from
;; byte 32768 on.
;;
;; crc(start, end, previous) returns the CRC32C of memory[start, end), continuing from
;; `previous` (0 for a fresh CRC), exactly as crc32c() in crc32c.ts does. Sixteen bytes a step
;; (the first four folded into the CRC, each byte looked up in the table for its distance from
;; the end of the step), then the last 0-15 bytes one at a time.
(module
  (memory (export "memory") 1)
  (func $crc (export "crc") (param $i i32) (param $end i32) (param $prev i32) (result i32)
    (local $c i32) (local $a i32) (local $b i32) (local $c2 i32) (local $d i32)
    (local.set $c (i32.xor (local.get $prev) (i32.const -1)))
    (block $tail
      (loop $step
        (br_if $tail (i32.lt_s (i32.sub (local.get $end) (local.get $i)) (i32.const 16)))
        (local.set $a (i32.xor (local.get $c) (i32.load (local.get $i))))
        (local.set $b (i32.load offset=4 (local.get $i)))
        (local.set $c2 (i32.load offset=8 (local.get $i)))
        (local.set $d (i32.load offset=12 (local.get $i)))
        (local.set $c (i32.xor (i32.xor (i32.xor (i32.xor (i32.load offset=15360 (i32.shl (i32.and (local.get $a) (i32.const 255)) (i32.const 2))) (i32.load offset=14336 (i32.shl (i32.and (i32.shr_u (local.get $a) (i32.const 8)) (i32.const 255)) (i32.const 2)))) (i32.xor (i32.load offset=13312 (i32.shl (i32.and (i32.shr_u (local.get $a) (i32.const 16)) (i32.const 255)) (i32.const 2))) (i32.load offset=12288 (i32.shl (i32.shr_u (local.get $a) (i32.const 24)) (i32.const 2))))) (i32.xor (i32.xor (i32.load offset=11264 (i32.shl (i32.and (local.get $b) (i32.const 255)) (i32.const 2))) (i32.load offset=10240 (i32.shl (i32.and (i32.shr_u (local.get $b) (i32.const 8)) (i32.const 255)) (i32.const 2)))) (i32.xor (i32.load offset=9216 (i32.shl (i32.and (i32.shr_u (local.get $b) (i32.const 16)) (i32.const 255)) (i32.const 2))) (i32.load offset=8192 (i32.shl (i32.shr_u (local.get $b) (i32.const 24)) (i32.const 2)))))) (i32.xor (i32.xor (i32.xor (i32.load offset=7168 (i32.shl (i32.and (local.get $c2) (i32.const 255)) (i32.const 2))) (i32.load offset=6144 (i32.shl (i32.and (i32.shr_u (local.get $c2) (i32.const 8)) (i32.const 255)) (i32.const 2)))) (i32.xor (i32.load offset=5120 (i32.shl (i32.and (i32.shr_u (local.get $c2) (i32.const 16)) (i32.const 255)) (i32.const 2))) (i32.load offset=4096 (i32.shl (i32.shr_u (local.get $c2) (i32.const 24)) (i32.const 2))))) (i32.xor (i32.xor (i32.load offset=3072 (i32.shl (i32.and (local.get $d) (i32.const 255)) (i32.const 2))) (i32.load offset=2048 (i32.shl (i32.and (i32.shr_u (local.get $d) (i32.const 8)) (i32.const 255)) (i32.const 2)))) (i32.xor (i32.load offset=1024 (i32.shl (i32.and (i32.shr_u (local.get $d) (i32.const 16)) (i32.const 255)) (i32.const 2))) (i32.load offset=0 (i32.shl (i32.shr_u (local.get $d) (i32.const 24)) (i32.const 2))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $step)))
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $c (i32.xor
          (i32.load (i32.shl (i32.and (i32.xor (local.get $c) (i32.load8_u (local.get $i))) (i32.const 255)) (i32.const 2)))
          (i32.shr_u (local.get $c) (i32.const 8))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $byte)))
    (i32.xor (local.get $c) (i32.const -1)))
  ;; scan(p, end, out, max): walks native-format records (docs/FORMAT.md) from p while each is
  ;; whole and sound: sync word A5 5A C3 3C, body length at most 2 MiB, all of it before end, and
  ;; its CRC32C (over type, flags, length and body) equal to the u32 after the body. Writes each
  ;; record's position as a u32 at out, out+4, ... and returns how many it found (at most max).
  ;; It stops at the first record that is not whole and sound, which the host then looks at.
  (func (export "scan") (param $p i32) (param $end i32) (param $out i32) (param $max i32) (result i32)
    (local $n i32) (local $len i32) (local $bodyEnd i32)
    (block $stop
      (loop $next
        (br_if $stop (i32.ge_u (local.get $n) (local.get $max)))
        (br_if $stop (i32.lt_u (i32.sub (local.get $end) (local.get $p)) (i32.const 16)))
        (br_if $stop (i32.ne (i32.load (local.get $p)) (i32.const 0x3cc35aa5)))
        (local.set $len (i32.load offset=8 (local.get $p)))
        (br_if $stop (i32.gt_u (local.get $len) (i32.const 2097152)))
        (br_if $stop (i32.lt_u (i32.sub (i32.sub (local.get $end) (local.get $p)) (i32.const 16)) (local.get $len)))
        (local.set $bodyEnd (i32.add (i32.add (local.get $p) (i32.const 12)) (local.get $len)))
        (br_if $stop
          (i32.ne
            (call $crc (i32.add (local.get $p) (i32.const 4)) (local.get $bodyEnd) (i32.const 0))
            (i32.load (local.get $bodyEnd))))
        (i32.store (local.get $out) (local.get $p))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $p (i32.add (local.get $bodyEnd) (i32.const 4)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n)))
