import type { Genome } from "@mfnas/core";
import type { MfaSupernet } from "@mfnas/model";
import { pairToTensors, psnrY, type SrDataset, type Tensor4D, type Tf } from "@mfnas/model";

/**
 * Mean Y-PSNR (border of `scale` pixels cropped, as in BasicSR) of the SubGenerator `genome` on every image of
 * `val`, each cropped so its LR sides divide by 4 (the down4 branch). Uses the supernet's shared weights.
 */
export async function validationPsnr(tf: Tf, supernet: MfaSupernet, genome: Genome, val: SrDataset): Promise<number> {
  let sum = 0;
  for (let i = 0; i < val.entries.length; i++) {
    const pair = await val.load(i);
    const { lr, hr } = pairToTensors(tf, pair);
    const h = lr.shape[1] - (lr.shape[1] % 4);
    const w = lr.shape[2] - (lr.shape[2] % 4);
    const s = val.scale;
    const sr = tf.tidy(() =>
      tf.clipByValue(supernet.forward(tf, genome, tf.slice(lr, [0, 0, 0, 0], [1, h, w, 3])), 0, 1),
    );
    const hrCrop: Tensor4D = tf.slice(hr, [0, 0, 0, 0], [1, h * s, w * s, 3]);
    const image = async (t: Tensor4D) => ({ height: h * s, width: w * s, data: (await t.data()) as Float32Array });
    sum += psnrY(await image(sr), await image(hrCrop), { cropBorder: s });
    tf.dispose([lr, hr, sr, hrCrop]);
  }
  return sum / val.entries.length;
}
