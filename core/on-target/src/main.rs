//! The core's shared test bodies (`core/tests/shared`) and every httpwg Structured Field case,
//! on a Cortex-M4 (QEMU's mps2-an386), reporting through semihosting and exiting non-zero on
//! any failure. The same bodies run on the host as `cargo test -p headroom-core`; here they run
//! with a 32-bit `usize` and the device's code paths, with overflow checks on.
#![no_std]
#![no_main]

#[path = "../../tests/shared/mod.rs"]
mod shared;

include!(concat!(env!("OUT_DIR"), "/bodies.rs"));
include!(concat!(env!("OUT_DIR"), "/sf_cases.rs"));

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};

#[entry]
fn main() -> ! {
    hprintln!(
        "on-target: usize is {} bytes",
        core::mem::size_of::<usize>()
    );
    for (name, body) in BODIES {
        hprintln!("test {} ...", name);
        body();
    }
    // The buffer the cases' lines are joined in (the suite's longest fit), in .bss.
    let Some(buf) = cortex_m::singleton!(: [u8; 32 << 10] = [0; 32 << 10]) else {
        panic!("the line buffer is taken once");
    };
    let mut failed = 0;
    for case in CASES {
        if let Err(why) = shared::sf::check(case, buf) {
            hprintln!("FAIL httpwg {}: {:?}", case.name, why);
            failed += 1;
        }
    }
    hprintln!(
        "on-target: {} bodies passed; httpwg {} of {} cases passed",
        BODIES.len(),
        CASES.len() - failed,
        CASES.len()
    );
    debug::exit(if failed == 0 {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    hprintln!("FAILED: {}", info);
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}
