//! A real board: a NUCLEO-F429ZI (STM32F429ZI, on-board Ethernet) calls a SynthLink-style API
//! over HTTPS every ten seconds, through a `static` headroom limiter that every task of the
//! board would share. All crates from crates.io; built by CI for thumbv7em-none-eabihf (it
//! cannot run it: `cargo run --release` flashes a board through probe-rs).
//!
//! Set `API_URL` and `API_KEY` (build-time environment) for your account, and put the DER
//! certificate of the CA that signs your API in `ca.der`: the one committed is empty, a
//! placeholder that fails every handshake.
#![no_std]
#![no_main]

use defmt::{info, unwrap, warn};
use defmt_rtt as _;
use embassy_executor::Spawner;
use embassy_net::StackResources;
use embassy_net::dns::DnsSocket;
use embassy_net::tcp::client::{TcpClient, TcpClientState};
use embassy_stm32::eth::{Ethernet, GenericPhy, PacketQueue, Sma};
use embassy_stm32::peripherals::{ETH, ETH_SMA};
use embassy_stm32::rng::Rng;
use embassy_stm32::time::Hertz;
use embassy_stm32::{Config, bind_interrupts, eth, peripherals, rng};
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_time::Timer;
use headroom_embassy::http::Client;
use headroom_embassy::rng::Rng06;
use headroom_embassy::tls::Tls;
use headroom_embassy::{MinuteAndDay, SharedLimiter, synthlink};
use panic_probe as _;
use static_cell::StaticCell;

/// The API, and the key of this device (every key of the identity shares its quota).
const API_URL: &str = match option_env!("API_URL") {
    Some(url) => url,
    None => "https://api.synth-link.example/v1/records?limit=10",
};
const API_KEY: &str = match option_env!("API_KEY") {
    Some(key) => key,
    None => "Bearer device-key",
};
/// The CA that signs the API's certificate, DER.
static CA: &[u8] = include_bytes!("../ca.der");

/// SynthLink's 60/min and 1,000/day, learned and kept in sync from its headers; shared by
/// every task of the board.
static API: SharedLimiter<CriticalSectionRawMutex, MinuteAndDay> = SharedLimiter::new(synthlink());

bind_interrupts!(struct Irqs {
    ETH => eth::InterruptHandler;
    HASH_RNG => rng::InterruptHandler<peripherals::RNG>;
});

type Device = Ethernet<'static, ETH, GenericPhy<Sma<'static, ETH_SMA>>>;

#[embassy_executor::task]
async fn net_task(mut runner: embassy_net::Runner<'static, Device>) -> ! {
    runner.run().await
}

#[embassy_executor::main]
async fn main(spawner: Spawner) -> ! {
    let mut config = Config::default();
    {
        use embassy_stm32::rcc::*;
        config.rcc.hse = Some(Hse {
            freq: Hertz(8_000_000),
            mode: HseMode::Bypass,
        });
        config.rcc.pll_src = PllSource::HSE;
        config.rcc.pll = Some(Pll {
            prediv: PllPreDiv::DIV4,
            mul: PllMul::MUL180,
            divp: Some(PllPDiv::DIV2), // 8 MHz / 4 * 180 / 2 = 180 MHz
            divq: None,
            divr: None,
        });
        config.rcc.ahb_pre = AHBPrescaler::DIV1;
        config.rcc.apb1_pre = APBPrescaler::DIV4;
        config.rcc.apb2_pre = APBPrescaler::DIV2;
        config.rcc.sys = Sysclk::PLL1_P;
    }
    let p = embassy_stm32::init(config);

    // The hardware RNG: the network stack's seed, TLS's keys, and headroom's jitter.
    let mut rng = Rng06(Rng::new(p.RNG, Irqs));
    let seed = rand_core::Rng::next_u64(&mut rng);

    static PACKETS: StaticCell<PacketQueue<4, 4>> = StaticCell::new();
    let device = Ethernet::new(
        PACKETS.init(PacketQueue::<4, 4>::new()),
        p.ETH,
        Irqs,
        p.PA1,
        p.PA7,
        p.PC4,
        p.PC5,
        p.PG13,
        p.PB13,
        p.PG11,
        [0x02, 0x00, 0x00, 0x4e, 0x55, 0x43],
        p.ETH_SMA,
        p.PA2,
        p.PC1,
    );
    static RESOURCES: StaticCell<StackResources<3>> = StaticCell::new();
    let net_config = embassy_net::Config::dhcpv4(Default::default());
    let (stack, runner) = embassy_net::new(
        device,
        net_config,
        RESOURCES.init(StackResources::new()),
        seed,
    );
    spawner.spawn(unwrap!(net_task(runner)));
    stack.wait_config_up().await;
    info!("network up");

    static TCP: StaticCell<TcpClientState<1, 4096, 4096>> = StaticCell::new();
    let tcp = TcpClient::new(stack, TCP.init(TcpClientState::new()));
    let dns = DnsSocket::new(stack);
    // TLS records are the caller's: a whole record (16 KiB + 256) must fit in `read`.
    static READ: StaticCell<[u8; 16_640]> = StaticCell::new();
    static WRITE: StaticCell<[u8; 4096]> = StaticCell::new();
    let tls = Tls::new(CA, READ.init([0; 16_640]), WRITE.init([0; 4096]), &mut rng);
    let headers = [("Authorization", API_KEY)];
    let mut client = Client::new(&tcp, &dns, &API, &headers).with_tls(tls);
    loop {
        let mut rx = [0u8; 4096];
        // Waits for the limiter, feeds the response back, retries 429s as the server asks.
        match client.get(API_URL, &mut rx, &mut rng).await {
            Ok(response) => info!(
                "{}: {} bytes after {} attempt(s)",
                response.status,
                response.body.len(),
                response.attempts
            ),
            Err(e) => warn!("api: {}", e),
        }
        Timer::after_secs(10).await;
    }
}
