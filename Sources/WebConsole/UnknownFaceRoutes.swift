import Foundation
import GalleryStore
import Hummingbird

extension Console {
    func addUnknownFaceRoutes(_ router: Router<ConsoleContext>) {
        router.get("/unknown") { _, context in
            Layout.page("Unknown faces", active: "/unknown", who: context.who,
                        "<p class=\"note\">Faces the recognizer could not match appear here once it sends face crops.</p>")
        }
    }
}
